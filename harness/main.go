package harness

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	tclog "github.com/testcontainers/testcontainers-go/log"
)

// Main runs a test binary against one stack: it opens the stack the
// environment describes (started, or attached), stores it in *stack for the
// tests, runs them, and closes it. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(harness.Main(m, &stack)) }
//
// A stack that cannot be had fails the run with one message; it never turns
// into skipped tests. Main also makes sure go test never replays a cached
// verdict (see nocache.go).
func Main(m *testing.M, stack **Stack, opts ...Option) int {
	return MainFunc(m, stack, func(*Stack) int { return m.Run() }, opts...)
}

// ErrorPrefix starts every line by which a test binary says it could not
// run at all; smokestack gate quotes that line as the reason, never an
// info line printed before it.
const ErrorPrefix = "smokestack: error: "

// MainFunc is Main with run in place of m.Run: a suite wraps its tests with
// what it states before them and sums up after them (checks.Main).
func MainFunc(m *testing.M, stack **Stack, run func(s *Stack) int, opts ...Option) int {
	flag.Parse()
	defer touchStamp()
	consoleOn.Store(true)
	if f := flag.Lookup("test.list"); f != nil && f.Value.String() != "" {
		return m.Run()
	}
	cfg, err := ConfigFromEnv()
	if err != nil {
		fmt.Fprintf(os.Stdout, "%sconfiguration: %s\n", ErrorPrefix, strings.ReplaceAll(err.Error(), "\n", "; "))
		return 2
	}
	logf := func(format string, args ...any) {
		if testing.Verbose() {
			fmt.Fprintf(os.Stderr, "smokestack: "+format+"\n", args...)
		}
	}
	// testcontainers logs through a process-wide logger; this binary owns
	// the process, so its lines follow -v like the harness's own.
	tclog.SetDefault(printfLogger(logf))
	opts = append([]Option{WithLogf(logf), WithProgress(Progressf)}, opts...)
	// An interrupted run (Ctrl-C, CI cancelling the job) stops starting and
	// removes its containers; a killed one leaves them to the next sweep.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var s *Stack
	opened := make(chan struct{})
	var closeOnce sync.Once
	teardown := func() {
		closeOnce.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
			defer cancel()
			if err := s.Close(ctx); err != nil {
				fmt.Fprintf(os.Stderr, "smokestack: teardown: %v\n", err)
			}
		})
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	go func() {
		if _, ok := <-sig; ok {
			fmt.Fprintln(os.Stderr, "smokestack: interrupted; removing the stack")
			cancel()
			<-opened
			teardown()
			os.Exit(130)
		}
	}()
	t0 := time.Now()
	if cfg.Mode == Ephemeral {
		Progressf("starting the ephemeral stack (up to %s)", cfg.Timeouts.Start)
	}
	s, err = Open(ctx, cfg, opts...)
	close(opened)
	defer teardown()
	if err != nil {
		fmt.Fprintf(os.Stdout, "%scannot get the %s stack: %s\n", ErrorPrefix, cfg.Mode, strings.ReplaceAll(err.Error(), "\n", "; "))
		return 2
	}
	profile, how := s.Profile()
	logf("%s (ready in %s); profile %s, contract parts %s (%s)", s.Describe(), time.Since(t0).Round(time.Millisecond), profile, profile.Parts(), how)
	*stack = s
	return run(s)
}
