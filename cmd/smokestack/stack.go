package main

import (
	"context"
	"errors"
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

func envFlag(fs *flag.FlagSet, usage string) *string {
	return fs.String("env", defaultEnvFile, usage)
}

var upCommand = &command{
	name:  "up",
	args:  "[-env FILE]",
	short: "start an ephemeral stack that outlives this command; write its live-mode settings to FILE",
	long: `Starts an ephemeral stack (the reference service and the monitoring stack, in Docker) that
outlives this command, so several test packages share it, and writes its live-mode settings
to -env FILE (0600: it holds keys). Test runs then point at it with SMOKE_CONFIG=FILE;
smokestack down removes it. The usual SMOKE_* variables configure it; SMOKE_TARGET must not
be set (up starts a stack, it does not attach to one).`,
	exits:   "0 the stack is up   1 it could not be started (its containers are removed)   2 usage",
	example: "smokestack up -env .smokestack/stack.env && SMOKE_CONFIG=.smokestack/stack.env go test ./smoke",
	flags:   func(fs *flag.FlagSet) { envFlag(fs, "where to write the stack's live-mode settings") },
	run:     envMain(up),
}

// envMain is the main of a command whose one flag is -env FILE and that
// either works or fails, as up and down do.
func envMain(do func(envFile string, std stdio) error) func(c *command, args []string, std stdio) int {
	return func(c *command, args []string, std stdio) int {
		fs := c.flagSet()
		envFile := envFlag(fs, "")
		if code, done := c.parseFlags(fs, args, std, 2); done {
			return code
		}
		return c.result(std, do(*envFile, std))
	}
}

// result is the exit code of a command that either works or fails.
func (c *command) result(std stdio, err error) int {
	if err != nil {
		fmt.Fprintf(std.err, "smokestack %s: %v\n", c.name, err)
		return 1
	}
	return 0
}

func up(envFile string, std stdio) error {
	cfg, err := harness.ConfigFromEnv()
	if err != nil {
		return err
	}
	if cfg.Mode != harness.Ephemeral {
		return fmt.Errorf("up starts an ephemeral stack; unset %s", harness.Env.Target)
	}
	logf := func(format string, a ...any) {
		if !strings.HasPrefix(format, "testcontainers:") {
			fmt.Fprintf(std.err, "smokestack: "+format+"\n", a...)
		}
	}
	tclog.SetDefault(tclog.NewNoopLogger())
	t0 := time.Now()
	s, err := harness.Start(context.Background(), cfg, harness.Detached(), harness.WithLogf(logf))
	if err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if cli, cerr := harness.DockerClient(); cerr == nil && s.RunID() != "" {
			_, _ = harness.RemoveRun(ctx, cli, s.RunID())
		}
		return err
	}
	if err := os.MkdirAll(filepath.Dir(envFile), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(envFile, []byte(harness.FormatEnv(s.LiveEnv())), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(std.err, "smokestack: stack %s up in %s; live-mode settings in %s (0600, holds keys)\n"+
		"  use: SMOKE_CONFIG=%s go test ./smoke\n  stop: smokestack down -env %s\n",
		s.RunID(), time.Since(t0).Round(time.Millisecond), envFile, envFile, envFile)
	return nil
}

var downCommand = &command{
	name:  "down",
	args:  "[-env FILE]",
	short: "remove the stack FILE describes (nothing to remove is not an error)",
	long: `Removes the containers of the stack that smokestack up described in -env FILE, then the
file. Idempotent: when FILE does not exist there is nothing to remove, and down says so and
succeeds, so a cleanup step can always run it.`,
	exits:   "0 removed, or nothing to remove   1 the removal failed   2 usage",
	example: "smokestack down -env .smokestack/stack.env",
	flags:   func(fs *flag.FlagSet) { envFlag(fs, "the file smokestack up wrote") },
	run:     envMain(down),
}

func down(envFile string, std stdio) error {
	data, err := os.ReadFile(envFile)
	if errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(std.err, "smokestack: no stack to remove: %s does not exist (already down, or never up)\n", envFile)
		return nil
	}
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
		return fmt.Errorf("%s names no stack (no SMOKE_STACK_RUN line)", envFile)
	}
	cli, err := harness.DockerClient()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n, err := harness.RemoveRun(ctx, cli, run)
	if err != nil {
		fmt.Fprintf(std.err, "smokestack: removed %d containers of stack %s\n", n, run)
		return err
	}
	if n == 0 {
		fmt.Fprintf(std.err, "smokestack: stack %s was not running (no containers left); removing %s\n", run, envFile)
	} else {
		fmt.Fprintf(std.err, "smokestack: removed %d containers of stack %s\n", n, run)
	}
	return os.Remove(envFile)
}

var imageCommand = &command{
	name:  "image",
	args:  "",
	short: "build the reference Genesis image (what ephemeral runs use), print its tag",
	long: `Builds the reference service's image once, so that test packages started in parallel do
not each compile it cold, and prints its tag on stdout. Needs a Docker engine. Takes no
arguments.`,
	exits:   "0 built (the tag on stdout)   1 the build failed   2 usage",
	example: "smokestack image",
	run:     imageMain,
}

func imageMain(c *command, args []string, std stdio) int {
	fs := c.flagSet()
	if code, done := c.parseFlags(fs, args, std, 2); done {
		return code
	}
	return c.result(std, image(std))
}

// image builds the reference service's image once, so that test packages
// started in parallel do not each compile it cold.
func image(std stdio) error {
	cli, err := harness.DockerClient()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	t0 := time.Now()
	tag, err := harness.BuildGenesisImage(ctx, cli)
	if err != nil {
		return err
	}
	fmt.Fprintf(std.err, "smokestack: %s ready in %s\n", tag, time.Since(t0).Round(time.Millisecond))
	fmt.Fprintln(std.out, tag)
	return nil
}
