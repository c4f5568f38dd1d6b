package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/smokestack-dev/smokestack/checks"
	"github.com/smokestack-dev/smokestack/harness"
	"github.com/smokestack-dev/smokestack/verdict"
)

// monitor is the checklist's "Automated Monitoring Script": service
// health, the smoke checks, the rollback triggers and host resources, one
// report per round, appended to a log. It runs the checks in-process
// against a live deployment and never changes it (mutating checks are left
// out). Rounds are bounded: -times rounds, -every apart.
func monitor(args []string) int {
	fs := flag.NewFlagSet("monitor", flag.ExitOnError)
	logPath := fs.String("log", "", "append every report to this file too (e.g. logs/production_health.log)")
	every := fs.Duration("every", 8*time.Hour, "time between rounds")
	times := fs.Int("times", 1, "number of rounds (48 hours every 8 hours: -times 6)")
	window := fs.String("window", "5m", "PromQL range for latency and error rate")
	rate := fs.Float64("min-pass-rate", 0.95, "the smallest share of judged checks that must pass")
	_ = fs.Parse(args)
	if *times < 1 || *times > 1000 || *every <= 0 {
		fmt.Fprintln(os.Stderr, "smokestack monitor: want 1 <= -times <= 1000 and a positive -every")
		return 2
	}
	cfg, err := harness.ConfigFromEnv()
	if err == nil && cfg.Mode != harness.Live {
		err = fmt.Errorf("monitor watches a running deployment: set %s=live and its URLs (or %s)", harness.Env.Target, harness.Env.ConfigFile)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "smokestack monitor: %v\n", err)
		return 2
	}
	cfg.AllowMutation = false // a monitor only reads
	s, err := harness.Attach(cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "smokestack monitor: %v\n", err)
		return 2
	}
	out := io.Writer(os.Stdout)
	if *logPath != "" {
		f, err := os.OpenFile(*logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			fmt.Fprintf(os.Stderr, "smokestack monitor: %v\n", err)
			return 2
		}
		defer f.Close()
		out = io.MultiWriter(os.Stdout, f)
	}
	code := 0
	for i := 0; i < *times; i++ {
		if i > 0 {
			time.Sleep(*every)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		text, d := verdict.MonitorRound(ctx, s, *window, verdict.Gate{MinPassRate: *rate, Critical: checks.IsCritical})
		cancel()
		fmt.Fprint(out, text)
		code = map[verdict.Decision]int{verdict.Ship: 0, verdict.Rollback: 1, verdict.Hold: 3}[d]
	}
	return code
}
