package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/smokestack-dev/smokestack/checks"
	"github.com/smokestack-dev/smokestack/harness"
	"github.com/smokestack-dev/smokestack/verdict"
)

// gateFlags are the gate's rule, shared by gate and verdict.
type gateFlags struct {
	rate float64
	all  bool
}

func (g *gateFlags) declare(fs *flag.FlagSet) {
	fs.Float64Var(&g.rate, "min-pass-rate", 0.95, "the smallest `share` of judged checks that must pass, 0..1 (0.95 is 95 %)")
	fs.BoolVar(&g.all, "all", false, "every check must pass (the critical suite's rule)")
}

// windowFlag is -window, of verdict and monitor.
func windowFlag(fs *flag.FlagSet) *string {
	return fs.String("window", "5m", "PromQL `range` over which latency and error rate are read")
}

func (g gateFlags) gate() verdict.Gate {
	return verdict.Gate{MinPassRate: g.rate, RequireAll: g.all, Critical: checks.IsCritical}
}

var gateCommand = &command{
	name:  "gate",
	args:  "[flags] [FILE]",
	short: "judge a go test -json stream (FILE or stdin) by the plan it states: PASS, FAIL or HOLD",
	long: `Judges a go test -json stream, read from FILE or, without one (or with "-"), from stdin.
The expectation comes from the stream: every suite states its plan (which checks it will
judge, which are not applicable or not judged by configuration, which are critical) before
it runs, so no flag repeats how go test ran.

PASS: every planned check ended, no critical check failed or went unjudged, the pass rate
holds. FAIL: a critical check failed, -all and any check failed, or the rate cannot be
reached. HOLD: the evidence is incomplete (a cut or killed run, no plan, a package that
could not run, a check that had to be judged and was not).

The report goes to stdout; -json and -junit also write it to files, from the same data.`,
	exits:   exitsGate,
	example: "go test -json ./smoke -tags critical | smokestack gate -all -junit smoke.xml -json smoke.json",
	flags: func(fs *flag.FlagSet) {
		new(gateFlags).declare(fs)
		new(reportFlags).declare(fs)
	},
	run: gateMain,
}

// gateMain judges the stream by the plan the stream itself states (what
// each package expected to judge), so it needs no flags repeating how go
// test ran.
func gateMain(c *command, args []string, std stdio) int {
	var g gateFlags
	var rf reportFlags
	fs := c.flagSet(&g, &rf)
	path, code, done := c.parseStream(fs, args, std, &g)
	if done {
		return code
	}
	out, err := rf.open()
	if err != nil {
		return c.usageError(std, "%v", err)
	}
	run, err := readRun(path, std.in)
	if err != nil {
		out.abort()
		fmt.Fprintf(std.err, "smokestack gate: %v\n", err)
		return 2
	}
	rec := g.gate().Judge(run).Record(time.Now())
	fmt.Fprint(std.out, rec.Text())
	return out.finish(c, std, rec, rec.ExitCode)
}

// parseStream parses the flags and the one input of a command that judges a
// go test -json stream (gate, verdict): done says it is over, with -h
// answered, or a bad flag, a second input or a pass rate out of range
// refused.
func (c *command) parseStream(fs *flag.FlagSet, args []string, std stdio, g *gateFlags) (path string, code int, done bool) {
	pos, code, done := c.parse(fs, args, std)
	if done {
		return "", code, true
	}
	path, ok := c.atMostOne(std, pos)
	if !ok || !c.checkRate(std, g.rate) {
		return "", 2, true
	}
	return path, 0, false
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

var verdictCommand = &command{
	name:  "verdict",
	args:  "[flags] [FILE]",
	short: "SHIP, ROLLBACK or HOLD: the gate plus the rollback triggers read from Prometheus",
	long: `The gate over a go test -json stream (FILE or stdin, as smokestack gate reads it), then
the checklist's rollback triggers read from Prometheus over -window: P95 latency over 500 ms,
error rate over 1 %. Prometheus comes from SMOKE_PROMETHEUS_URL or SMOKE_CONFIG; nothing
else is needed.

ROLLBACK if the gate fails or a trigger fires; HOLD if the gate holds or a trigger cannot be
read (no traffic in the window, Prometheus unreachable); else SHIP. The report goes to
stdout; -json and -junit also write it to files, from the same data.`,
	exits:   exitsVerdict,
	example: "go test -json ./smoke > run.json; SMOKE_PROMETHEUS_URL=http://127.0.0.1:9090 smokestack verdict run.json -json verdict.json",
	flags: func(fs *flag.FlagSet) {
		new(gateFlags).declare(fs)
		windowFlag(fs)
		new(reportFlags).declare(fs)
	},
	run: verdictMain,
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
	if err := harness.UnknownVars(names, ""); err != nil {
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

// verdictMain is the gate over the stream, then the rollback triggers read
// from Prometheus.
func verdictMain(c *command, args []string, std stdio) int {
	var g gateFlags
	var rf reportFlags
	fs := c.flagSet(&g, &rf)
	window := windowFlag(fs)
	path, code, done := c.parseStream(fs, args, std, &g)
	if done {
		return code
	}
	if _, err := time.ParseDuration(*window); err != nil {
		return c.usageError(std, "-window %q: %v", *window, err)
	}
	out, err := rf.open()
	if err != nil {
		return c.usageError(std, "%v", err)
	}
	fail := func(err error) int {
		out.abort()
		fmt.Fprintf(std.err, "smokestack verdict: %v\n", err)
		return 2
	}
	// The input first: an unreadable stream is a usage error, whatever
	// Prometheus would say.
	run, err := readRun(path, std.in)
	if err != nil {
		return fail(err)
	}
	cfg, err := verdictConfig()
	if err != nil {
		return fail(err)
	}
	s, err := harness.Attach(cfg)
	if err != nil || !s.Has(harness.Prometheus) {
		return fail(errNoPrometheus)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Timeouts.Check)
	defer cancel()
	r := verdict.Decide(g.gate().Judge(run), verdict.ReadTriggers(ctx, s.Prometheus(), verdict.Triggers(*window)))
	rec := r.Record(time.Now())
	fmt.Fprint(std.out, rec.Text())
	return out.finish(c, std, rec, rec.ExitCode)
}
