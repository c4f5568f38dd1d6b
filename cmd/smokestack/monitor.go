package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/smokestack-dev/smokestack/checks"
	"github.com/smokestack-dev/smokestack/harness"
	"github.com/smokestack-dev/smokestack/verdict"
)

// Bounds of a monitoring run: rounds, the wait between them, one round.
const (
	maxRounds    = 1000
	maxEvery     = 24 * time.Hour
	roundTimeout = 5 * time.Minute
	openTimeout  = 2 * time.Minute
)

// monitor is the checklist's "Automated Monitoring Script": service
// health, the smoke checks, the rollback triggers and host resources, one
// report per round, appended to a log. It runs the checks in-process
// against a live deployment and never changes it (mutating checks are not
// run: they are reported NOT JUDGED). Rounds are bounded: -times rounds,
// -every apart (at most 24h); SIGINT or SIGTERM ends the wait or the round
// at once. The worst round decides the exit code.
func monitor(args []string) int {
	fs := flag.NewFlagSet("monitor", flag.ContinueOnError)
	logPath := fs.String("log", "", "append every report to this file too (e.g. logs/production_health.log); its folder is created")
	every := fs.Duration("every", 8*time.Hour, "time between rounds (at most 24h)")
	times := fs.Int("times", 1, "number of rounds (48 hours every 8 hours: -times 6)")
	window := fs.String("window", "5m", "PromQL range for latency and error rate")
	rate := fs.Float64("min-pass-rate", 0.95, "the smallest share of judged checks that must pass")
	stopOnRollback := fs.Bool("stop-on-rollback", false, "end the run at the first ROLLBACK round")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return 2
	}
	if *times < 1 || *times > maxRounds || *every <= 0 || *every > maxEvery {
		fmt.Fprintf(os.Stderr, "smokestack monitor: want 1 <= -times <= %d and 0 < -every <= %s\n", maxRounds, maxEvery)
		return 2
	}
	if _, err := time.ParseDuration(*window); err != nil {
		fmt.Fprintf(os.Stderr, "smokestack monitor: -window %q: %v\n", *window, err)
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Open, not Attach: the target's profile is settled once (declared or
	// discovered), so checks outside it are NOT APPLICABLE, not failures.
	openCtx, cancel := context.WithTimeout(ctx, openTimeout)
	s, err := harness.Open(openCtx, cfg)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "smokestack monitor: %v\n", err)
		return 2
	}
	out := io.Writer(os.Stdout)
	if *logPath != "" {
		if err := os.MkdirAll(filepath.Dir(*logPath), 0o755); err != nil {
			fmt.Fprintf(os.Stderr, "smokestack monitor: %v\n", err)
			return 2
		}
		f, err := os.OpenFile(*logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			fmt.Fprintf(os.Stderr, "smokestack monitor: %v\n", err)
			return 2
		}
		defer f.Close()
		out = io.MultiWriter(os.Stdout, f)
	}
	gate := verdict.Gate{MinPassRate: *rate, Critical: checks.IsCritical}
	res := rounds(ctx, *times, *every, *stopOnRollback, func(ctx context.Context, i int) verdict.Decision {
		ctx, cancel := context.WithTimeout(ctx, roundTimeout)
		defer cancel()
		text, d := verdict.MonitorRound(ctx, s, *window, gate)
		if ctx.Err() == nil || ctx.Err() == context.DeadlineExceeded {
			fmt.Fprint(out, text)
		}
		return d
	}, sleep)
	fmt.Fprintln(out, res.String(*times))
	return res.Worst.ExitCode()
}

// roundsResult is what a monitoring run decided.
type roundsResult struct {
	Decisions   []verdict.Decision // one per completed round
	Worst       verdict.Decision
	Interrupted bool // the run was stopped before its last round
	Stopped     bool // -stop-on-rollback ended it
}

func (r roundsResult) String(times int) string {
	s := fmt.Sprintf("MONITOR: %s, the worst of %d of %d rounds %v", r.Worst, len(r.Decisions), times, r.Decisions)
	switch {
	case r.Interrupted:
		s += "; interrupted: an unfinished watch is HOLD at best"
	case r.Stopped:
		s += "; stopped at the first ROLLBACK (-stop-on-rollback)"
	}
	return s
}

// rounds runs up to times rounds, every apart, and decides by the worst
// round (ROLLBACK, then HOLD, then SHIP), not the last. With
// stopOnRollback it ends at the first ROLLBACK. When ctx ends (a signal),
// the round in flight does not count and the run is at best HOLD: the
// watch it was asked for did not happen.
func rounds(ctx context.Context, times int, every time.Duration, stopOnRollback bool,
	round func(ctx context.Context, i int) verdict.Decision, sleep func(context.Context, time.Duration) error) roundsResult {
	var r roundsResult
	for i := 0; i < times; i++ {
		if i > 0 && sleep(ctx, every) != nil {
			r.Interrupted = true
			break
		}
		if ctx.Err() != nil {
			r.Interrupted = true
			break
		}
		d := round(ctx, i)
		if ctx.Err() != nil {
			r.Interrupted = true
			break
		}
		r.Decisions = append(r.Decisions, d)
		if d == verdict.Rollback && stopOnRollback {
			r.Stopped = i < times-1
			break
		}
	}
	r.Worst = verdict.Worst(r.Decisions...)
	if r.Interrupted {
		r.Worst = verdict.Worst(r.Worst, verdict.Hold)
	}
	return r
}

// sleep waits d or until ctx ends, whichever is first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
