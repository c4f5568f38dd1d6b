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

var monitorCommand = &command{
	name:  "monitor",
	args:  "[flags]",
	short: "the checklist's monitoring script: a report per round on a live deployment, appended to a log",
	long: `Service health, the smoke checks, the rollback triggers and host resources of a live
deployment (SMOKE_TARGET=live and its URLs, or SMOKE_CONFIG), one report per round, in
process. Read-only: checks that would change the target are reported NOT JUDGED. Rounds are
bounded: -times rounds, -every apart (at most 24h); Ctrl-C ends the wait or the round at
once (HOLD at best: the watch did not happen).

The worst round decides the exit code (ROLLBACK, then HOLD, then SHIP); -stop-on-rollback
ends the run at the first ROLLBACK round. With -log, every round's human report is appended
to the file, followed by the round as one JSON line (a line starting with "{", the fields of
-json), so a tool can read the log back: smokestack report -log FILE -o DIR draws it as one
HTML page (the verdict, charts per round, a table of the rounds). -json and -junit write the
worst round (the latest of equals), rewritten after every round, so a killed run still leaves
the worst so far. Takes no arguments.`,
	exits:   "0 SHIP   1 ROLLBACK   2 usage, configuration, a target that cannot be opened, or a log or report file that cannot be written   3 HOLD: evidence missing, do not ship (the worst round decides)",
	example: "SMOKE_CONFIG=deploy.env smokestack monitor -every 8h -times 6 -log logs/production_health.log -json health.json",
	flags: func(fs *flag.FlagSet) {
		new(monitorFlags).declare(fs)
		new(reportFlags).declare(fs)
	},
	run: monitorMain,
}

// monitorFlags bound a monitoring run.
type monitorFlags struct {
	logPath        string
	every          time.Duration
	times          int
	window         *string
	rate           float64
	stopOnRollback bool
}

func (m *monitorFlags) declare(fs *flag.FlagSet) {
	fs.StringVar(&m.logPath, "log", "", "append every round's report to `FILE` too (e.g. logs/production_health.log); its folder is created")
	fs.DurationVar(&m.every, "every", 8*time.Hour, "time between rounds (at most 24h)")
	fs.IntVar(&m.times, "times", 1, "number of rounds (48 hours every 8 hours: -times 6)")
	m.window = windowFlag(fs)
	fs.Float64Var(&m.rate, "min-pass-rate", 0.95, "the smallest `share` of judged checks that must pass, 0..1 (0.95 is 95 %)")
	fs.BoolVar(&m.stopOnRollback, "stop-on-rollback", false, "end the run at the first ROLLBACK round")
}

// monitorMain is the checklist's "Automated Monitoring Script": service
// health, the smoke checks, the rollback triggers and host resources, one
// report per round, appended to a log. It runs the checks in-process
// against a live deployment and never changes it (mutating checks are not
// run: they are reported NOT JUDGED). Rounds are bounded: -times rounds,
// -every apart (at most 24h); SIGINT or SIGTERM ends the wait or the round
// at once. The worst round decides the exit code.
func monitorMain(c *command, args []string, std stdio) int {
	var m monitorFlags
	var rf reportFlags
	fs := c.flagSet(&m, &rf)
	code, done := c.parseFlags(fs, args, std, 2)
	if done {
		return code
	}
	if !c.checkRate(std, m.rate) {
		return 2
	}
	if m.times < 1 || m.times > maxRounds || m.every <= 0 || m.every > maxEvery {
		return c.usageError(std, "want 1 <= -times <= %d and 0 < -every <= %s", maxRounds, maxEvery)
	}
	if _, err := time.ParseDuration(*m.window); err != nil {
		return c.usageError(std, "-window %q: %v", *m.window, err)
	}
	fail := func(err error) int {
		fmt.Fprintf(std.err, "smokestack monitor: %v\n", err)
		return 2
	}
	cfg, err := harness.ConfigFromEnv()
	if err == nil && cfg.Mode != harness.Live {
		err = fmt.Errorf("monitor watches a running deployment: set %s=live and its URLs (or %s)", harness.Env.Target, harness.Env.ConfigFile)
	}
	if err != nil {
		return fail(err)
	}
	cfg.AllowMutation = false // a monitor only reads
	out := io.Writer(std.out)
	var logFile io.Writer
	if m.logPath != "" {
		if err := os.MkdirAll(filepath.Dir(m.logPath), 0o755); err != nil {
			return fail(err)
		}
		f, err := os.OpenFile(m.logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return fail(err)
		}
		defer f.Close()
		out, logFile = io.MultiWriter(std.out, f), f
	}
	reports, err := rf.open()
	if err != nil {
		return c.usageError(std, "%v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Open, not Attach: the target's profile is settled once (declared or
	// discovered), so checks outside it are NOT APPLICABLE, not failures.
	openCtx, cancel := context.WithTimeout(ctx, openTimeout)
	s, err := harness.Open(openCtx, cfg)
	cancel()
	if err != nil {
		reports.abort()
		return fail(err)
	}
	gate := verdict.Gate{MinPassRate: m.rate, Critical: checks.IsCritical}
	var worst *verdict.Record
	var decided []verdict.Decision // the rounds so far, for the reports rewritten after each
	var writeErr error
	res := rounds(ctx, m.times, m.every, m.stopOnRollback, func(ctx context.Context, i int) verdict.Decision {
		ctx, cancel := context.WithTimeout(ctx, roundTimeout)
		defer cancel()
		round := verdict.RunRound(ctx, s, *m.window, gate)
		if ctx.Err() != nil && ctx.Err() != context.DeadlineExceeded {
			return round.Verdict.Decision // interrupted: the round does not count
		}
		round.Number = i + 1
		fmt.Fprint(out, round.Text())
		rec := round.Record()
		if logFile != nil {
			line, err := rec.JSONLine()
			if err == nil {
				_, err = logFile.Write(line)
			}
			if err != nil && writeErr == nil {
				writeErr = fmt.Errorf("%s: %w", m.logPath, err)
			}
		}
		if worst == nil || verdict.Worst(worst.Decision, rec.Decision) == rec.Decision {
			worst = &rec
		}
		decided = append(decided, rec.Decision)
		if err := reports.write(monitorRecord(worst, roundsResult{Decisions: decided}, m.times)); err != nil && writeErr == nil {
			writeErr = err
		}
		return rec.Decision
	}, sleep)
	fmt.Fprintln(out, res.String(m.times))
	code = reports.finish(c, std, monitorRecord(worst, res, m.times), res.Worst.ExitCode())
	if writeErr != nil {
		fmt.Fprintf(std.err, "smokestack monitor: cannot write the report: %v\n", writeErr)
		return 2
	}
	return code
}

// monitorRecord is what -json and -junit hold: the worst round, with the
// run's decisions. A run without a finished round has no checks to show,
// only that it decided nothing: HOLD.
func monitorRecord(worst *verdict.Record, res roundsResult, times int) verdict.Record {
	var rec verdict.Record
	if worst != nil {
		rec = *worst
	} else {
		rec = verdict.Record{Kind: verdict.KindMonitor, Time: time.Now().UTC(), Decision: verdict.Hold,
			Gate: verdict.GateHold, ExitCode: verdict.Hold.ExitCode(),
			Reasons: []string{"no monitoring round finished: nothing was judged"}}
	}
	worstOfRun := res.Worst
	if worstOfRun == "" {
		worstOfRun = verdict.Worst(res.Decisions...)
	}
	rec.Monitor = &verdict.MonitorRun{Planned: times, Decisions: append([]verdict.Decision{}, res.Decisions...),
		Worst: worstOfRun, ExitCode: worstOfRun.ExitCode(), Interrupted: res.Interrupted, Stopped: res.Stopped}
	return rec
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
