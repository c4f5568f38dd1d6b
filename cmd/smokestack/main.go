// Command smokestack runs what go test cannot: it starts a stack that
// outlives one test binary so several packages share it (up, down).
//
//	smokestack up   [-env FILE]   start an ephemeral stack, write its live-mode config to FILE
//	smokestack down [-env FILE]   remove the stack FILE describes
//	smokestack image              build the reference Genesis image, print its tag
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

	"github.com/smokestack-dev/smokestack/harness"
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
  smokestack image             build the reference Genesis image (what ephemeral runs use), print its tag`)
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
