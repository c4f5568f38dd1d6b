// Command smokestack runs what go test cannot: it starts a stack that
// outlives one test binary so several packages share it (up, down).
//
//	smokestack up   [-env FILE]   start an ephemeral stack, write its live-mode config to FILE
//	smokestack down [-env FILE]   remove the stack FILE describes
//	smokestack image              build the reference Genesis image, print its tag
//	smokestack gate    [FILE]     judge a go test -json stream: pass rate >= 95 %
//	smokestack verdict [FILE]     SHIP, ROLLBACK or HOLD: the gate plus the rollback triggers
//	smokestack monitor            the checklist's monitoring script: a report per round, appended to a log
//
// Exit codes: 0 pass/SHIP, 1 fail/ROLLBACK, 2 usage or unreadable input,
// 3 HOLD (evidence missing: do not ship).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	tclog "github.com/testcontainers/testcontainers-go/log"

	"github.com/smokestack-dev/smokestack/checks"
	"github.com/smokestack-dev/smokestack/harness"
	"github.com/smokestack-dev/smokestack/verdict"
)

const defaultEnvFile = ".smokestack/stack.env"

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "up":
		err = up(os.Args[2:])
	case "down":
		err = down(os.Args[2:])
	case "image":
		err = image()
	case "gate":
		os.Exit(gate(os.Args[2:]))
	case "verdict":
		os.Exit(decide(os.Args[2:]))
	case "monitor":
		os.Exit(monitor(os.Args[2:]))
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "smokestack %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage:
  smokestack up   [-env FILE]  start an ephemeral stack that outlives this command;
                               write its live-mode settings to FILE (default `+defaultEnvFile+`)
  smokestack down [-env FILE]  remove the stack FILE describes
  smokestack image             build the reference Genesis image (what ephemeral runs use), print its tag
  smokestack gate [-min-pass-rate 0.95] [-all] [FILE]
                               judge a go test -json stream (FILE or stdin); exit 0 pass, 1 fail
  smokestack verdict [-min-pass-rate 0.95] [-window 5m] [FILE]
                               the gate plus the rollback triggers read from Prometheus
                               (SMOKE_PROMETHEUS_URL or SMOKE_CONFIG); exit 0 SHIP, 1 ROLLBACK, 3 HOLD
  smokestack monitor [-log FILE] [-every 8h] [-times 1] [-window 5m]
                               service health, smoke checks, rollback triggers and host resources of a
                               live deployment, one report per round, appended to FILE; read-only`)
	os.Exit(2)
}

func up(args []string) error {
	fs := flag.NewFlagSet("up", flag.ExitOnError)
	envFile := fs.String("env", defaultEnvFile, "where to write the stack's live-mode settings")
	_ = fs.Parse(args)
	cfg, err := harness.ConfigFromEnv()
	if err != nil {
		return err
	}
	if cfg.Mode != harness.Ephemeral {
		return fmt.Errorf("up starts an ephemeral stack; unset %s", harness.Env.Target)
	}
	logf := func(format string, a ...any) {
		if !strings.HasPrefix(format, "testcontainers:") {
			fmt.Fprintf(os.Stderr, "smokestack: "+format+"\n", a...)
		}
	}
	tclog.SetDefault(tclog.NewNoopLogger())
	t0 := time.Now()
	s, err := harness.Start(context.Background(), cfg, harness.Detached(), harness.WithLogf(logf))
	if err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if cli, cerr := harness.DockerClient(); cerr == nil && s.RunID() != "" {
			_, _ = harness.RemoveRunE(ctx, cli, s.RunID())
		}
		return err
	}
	if err := os.MkdirAll(filepath.Dir(*envFile), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(*envFile, []byte(harness.FormatEnv(s.LiveEnv())), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "smokestack: stack %s up in %s; live-mode settings in %s (0600, holds keys)\n"+
		"  use: SMOKE_CONFIG=%s go test ./smoke\n  stop: smokestack down -env %s\n",
		s.RunID(), time.Since(t0).Round(time.Millisecond), *envFile, *envFile, *envFile)
	return nil
}

func down(args []string) error {
	fs := flag.NewFlagSet("down", flag.ExitOnError)
	envFile := fs.String("env", defaultEnvFile, "the file smokestack up wrote")
	_ = fs.Parse(args)
	data, err := os.ReadFile(*envFile)
	if err != nil {
		return err
	}
	var run string
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "SMOKE_STACK_RUN="); ok {
			run = strings.TrimSpace(v)
		}
	}
	if run == "" {
		return fmt.Errorf("%s names no stack (no SMOKE_STACK_RUN line)", *envFile)
	}
	cli, err := harness.DockerClient()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n, err := harness.RemoveRunE(ctx, cli, run)
	fmt.Fprintf(os.Stderr, "smokestack: removed %d containers of stack %s\n", n, run)
	if err != nil {
		return err
	}
	return os.Remove(*envFile)
}

// image builds the reference service's image once, so that test packages
// started in parallel do not each compile it cold.
func image() error {
	cli, err := harness.DockerClient()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	t0 := time.Now()
	tag, err := harness.BuildGenesisImageE(ctx, cli)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "smokestack: %s ready in %s\n", tag, time.Since(t0).Round(time.Millisecond))
	fmt.Println(tag)
	return nil
}

func readRun(path string) (verdict.Run, error) {
	in := os.Stdin
	if path != "" && path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return verdict.Run{}, err
		}
		defer f.Close()
		in = f
	}
	return verdict.Parse(in)
}

func gate(args []string) int {
	fs := flag.NewFlagSet("gate", flag.ExitOnError)
	rate := fs.Float64("min-pass-rate", 0.95, "the smallest share of judged checks that must pass")
	all := fs.Bool("all", false, "every check must pass (the critical suite's rule)")
	_ = fs.Parse(args)
	run, err := readRun(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(os.Stderr, "smokestack gate: %v\n", err)
		return 2
	}
	r := verdict.Gate{MinPassRate: *rate, RequireAll: *all, Critical: checks.IsCritical}.Judge(run)
	fmt.Println(r.Summary())
	for _, f := range r.Failures {
		fmt.Printf("  failed %s: %s\n", f.Test, harness.RedactText(f.Headline))
	}
	for _, reason := range r.Reasons {
		fmt.Printf("  because %s\n", harness.RedactText(reason))
	}
	if !r.OK {
		return 1
	}
	return 0
}

func decide(args []string) int {
	fs := flag.NewFlagSet("verdict", flag.ExitOnError)
	rate := fs.Float64("min-pass-rate", 0.95, "the smallest share of judged checks that must pass")
	window := fs.String("window", "5m", "PromQL range over which latency and error rate are read")
	_ = fs.Parse(args)
	if _, err := time.ParseDuration(*window); err != nil {
		fmt.Fprintf(os.Stderr, "smokestack verdict: -window %q: %v\n", *window, err)
		return 2
	}
	run, err := readRun(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(os.Stderr, "smokestack verdict: %v\n", err)
		return 2
	}
	cfg, err := harness.ConfigFromEnv()
	if err != nil {
		fmt.Fprintf(os.Stderr, "smokestack verdict: %v\n", err)
		return 2
	}
	cfg.Mode = harness.Live
	s, err := harness.Attach(cfg)
	if err != nil || !s.Has(harness.Prometheus) {
		fmt.Fprintf(os.Stderr, "smokestack verdict: the rollback triggers are read from Prometheus: set %s\n", harness.Env.PrometheusURL)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Timeouts.Check)
	defer cancel()
	g := verdict.Gate{MinPassRate: *rate, Critical: checks.IsCritical}.Judge(run)
	r := verdict.Decide(g, verdict.ReadTriggersE(ctx, s.Prometheus(), verdict.Triggers(*window)))
	fmt.Print(r.String())
	switch r.Decision {
	case verdict.Ship:
		return 0
	case verdict.Rollback:
		return 1
	}
	return 3
}
