// Command smokestack runs what go test cannot: it starts a stack that
// outlives one test binary so several packages share it (up, down), and
// turns runs into the decision on-call acts on (gate, verdict, monitor).
//
//	smokestack up   [-env FILE]   start an ephemeral stack, write its live-mode config to FILE
//	smokestack down [-env FILE]   remove the stack FILE describes
//	smokestack image              build the reference Genesis image, print its tag
//	smokestack gate    [FILE]     judge a go test -json stream by the plan it states: PASS, FAIL or HOLD
//	smokestack verdict [FILE]     SHIP, ROLLBACK or HOLD: the gate plus the rollback triggers
//	smokestack monitor            the checklist's monitoring script: a report per round, appended to a log
//
// Exit codes: 0 PASS/SHIP, 1 FAIL/ROLLBACK, 2 usage or unreadable input
// (no go test -json events), 3 HOLD (evidence missing: do not ship).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
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
                               judge a go test -json stream (FILE or stdin: go test -json ./smoke | smokestack gate).
                               The expectation comes from the stream: every suite states its plan (which checks
                               it will judge, which are not applicable or not judged by configuration, which are
                               critical) before it runs, so no flag repeats how go test ran.
                               PASS: every planned check ended, no critical check failed or went unjudged, the
                               pass rate holds. FAIL: a critical check failed, -all and any check failed, or the
                               rate cannot be reached. HOLD: the evidence is incomplete (cut or killed run, no
                               plan, a package that could not run, a check that had to be judged and was not).
  smokestack verdict [-min-pass-rate 0.95] [-all] [-window 5m] [FILE]
                               the gate plus the rollback triggers read from Prometheus (SMOKE_PROMETHEUS_URL
                               or SMOKE_CONFIG; nothing else is needed): ROLLBACK if the gate fails or a trigger
                               fires, HOLD if the gate holds or a trigger cannot be read, else SHIP
  smokestack monitor [-log FILE] [-every 8h] [-times 1] [-window 5m] [-stop-on-rollback]
                               service health, smoke checks, rollback triggers and host resources of a live
                               deployment, one report per round, appended to FILE; read-only. The worst round
                               decides the exit code (ROLLBACK, then HOLD, then SHIP); -stop-on-rollback ends
                               the run at the first ROLLBACK round; Ctrl-C ends it (HOLD at best)
exit codes:
  0 PASS / SHIP   1 FAIL / ROLLBACK   2 usage, or unreadable input (no go test -json events)   3 HOLD: do not ship`)
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

// readRun reads a go test -json stream from path ("" or "-": stdin).
func readRun(path string, stdin io.Reader) (verdict.Run, error) {
	in := stdin
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

// gateExit is the exit code of a gate decision: 0 PASS, 1 FAIL, 3 HOLD.
func gateExit(d verdict.GateDecision) int {
	switch d {
	case verdict.GatePass:
		return 0
	case verdict.GateFail:
		return 1
	}
	return 3
}

func gate(args []string) int { return runGate(args, os.Stdin, os.Stdout, os.Stderr) }

// runGate is smokestack gate: it judges the stream by the plan the stream
// itself states (what each package expected to judge), so it needs no
// flags repeating how go test ran.
func runGate(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rate := fs.Float64("min-pass-rate", 0.95, "the smallest share of judged checks that must pass")
	all := fs.Bool("all", false, "every check must pass (the critical suite's rule)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 1 || *rate < 0 || *rate > 1 {
		fmt.Fprintln(stderr, "usage: smokestack gate [-min-pass-rate 0.95] [-all] [FILE]  (0 <= rate <= 1)")
		return 2
	}
	run, err := readRun(fs.Arg(0), stdin)
	if err != nil {
		fmt.Fprintf(stderr, "smokestack gate: %v\n", err)
		return 2
	}
	r := verdict.Gate{MinPassRate: *rate, RequireAll: *all, Critical: checks.IsCritical}.Judge(run)
	fmt.Fprint(stdout, r.String())
	return gateExit(r.Decision)
}

// verdictConfig is the configuration smokestack verdict needs: only
// Prometheus, read live. The mode and the required components are forced
// before the configuration is validated, so that SMOKE_TARGET=live with
// only SMOKE_PROMETHEUS_URL set is enough; unknown SMOKE_* variables are
// still refused, as ConfigFromEnv refuses them.
func verdictConfig() (harness.Config, error) {
	var names []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		names = append(names, k)
	}
	if err := harness.UnknownVarsE(names, ""); err != nil {
		return harness.Config{}, err
	}
	cfg, err := harness.LoadConfig(func(k string) (string, bool) {
		switch k {
		case harness.Env.Target:
			return string(harness.Live), true
		case harness.Env.Require:
			return string(harness.Prometheus), true
		}
		return os.LookupEnv(k)
	})
	cfg.Mode = harness.Live
	cfg.Require = []harness.Component{harness.Prometheus}
	// Read, but no Prometheus URL: that is what is missing (live mode's
	// "names no component" would say less). A malformed URL, or a
	// configuration file that cannot be read, keeps its own error.
	if cfg.URLs != nil && cfg.URLs[harness.Prometheus] == "" && (err == nil || !strings.Contains(err.Error(), harness.Env.PrometheusURL+"=")) {
		err = errNoPrometheus
	}
	return cfg, err
}

var errNoPrometheus = fmt.Errorf("the rollback triggers are read from Prometheus: set %s (or %s)", harness.Env.PrometheusURL, harness.Env.ConfigFile)

func decide(args []string) int { return runVerdict(args, os.Stdin, os.Stdout, os.Stderr) }

// runVerdict is smokestack verdict: the gate over the stream, then the
// rollback triggers read from Prometheus.
func runVerdict(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verdict", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rate := fs.Float64("min-pass-rate", 0.95, "the smallest share of judged checks that must pass")
	all := fs.Bool("all", false, "every check must pass (the critical suite's rule)")
	window := fs.String("window", "5m", "PromQL range over which latency and error rate are read")
	if err := fs.Parse(args); err != nil || fs.NArg() > 1 || *rate < 0 || *rate > 1 {
		fmt.Fprintln(stderr, "usage: smokestack verdict [-min-pass-rate 0.95] [-all] [-window 5m] [FILE]  (0 <= rate <= 1)")
		return 2
	}
	if _, err := time.ParseDuration(*window); err != nil {
		fmt.Fprintf(stderr, "smokestack verdict: -window %q: %v\n", *window, err)
		return 2
	}
	// The input first: an unreadable stream is a usage error, whatever
	// Prometheus would say.
	run, err := readRun(fs.Arg(0), stdin)
	if err != nil {
		fmt.Fprintf(stderr, "smokestack verdict: %v\n", err)
		return 2
	}
	cfg, err := verdictConfig()
	if err != nil {
		fmt.Fprintf(stderr, "smokestack verdict: %v\n", err)
		return 2
	}
	s, err := harness.Attach(cfg)
	if err != nil || !s.Has(harness.Prometheus) {
		fmt.Fprintf(stderr, "smokestack verdict: %v\n", errNoPrometheus)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Timeouts.Check)
	defer cancel()
	g := verdict.Gate{MinPassRate: *rate, RequireAll: *all, Critical: checks.IsCritical}.Judge(run)
	r := verdict.Decide(g, verdict.ReadTriggersE(ctx, s.Prometheus(), verdict.Triggers(*window)))
	fmt.Fprint(stdout, r.String())
	return r.Decision.ExitCode()
}
