package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// stdio is a command's standard streams, passed in so that tests run the
// real command line without a process.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// command is one subcommand and everything its -h says: on-call reads the
// help in the middle of an incident, so it states the exit codes and an
// example, not only the flags.
type command struct {
	name    string
	args    string // after the name: "[flags] [FILE]"
	short   string // its line in smokestack -h
	long    string // what it does and its arguments
	exits   string
	example string
	// flags declares the command's flags for its help; nil for a command
	// without any. run declares the same ones on its own flag set.
	flags func(fs *flag.FlagSet)
	run   func(c *command, args []string, std stdio) int
}

// Exit codes of the deciding commands: the gate's and the verdict's.
const (
	exitsGate    = "0 PASS   1 FAIL   2 usage, unreadable input (no go test -json events) or a report file that cannot be written   3 HOLD: evidence missing, do not ship"
	exitsVerdict = "0 SHIP   1 ROLLBACK   2 usage, unreadable input, no Prometheus configured, or a report file that cannot be written   3 HOLD: evidence missing, do not ship"
)

// commands in the order smokestack -h lists them.
var commands []*command

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// usage is smokestack -h: the subcommands, one line each.
func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: smokestack COMMAND [flags] [arguments]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.short)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "exit codes: 0 PASS / SHIP   1 FAIL / ROLLBACK   2 usage or unreadable input   3 HOLD: do not ship")
	fmt.Fprintln(w, "smokestack COMMAND -h (or smokestack help COMMAND) says what a command does, its flags and an example.")
}

// help is smokestack COMMAND -h.
func (c *command) help(w io.Writer) {
	fmt.Fprintf(w, "usage: %s\n\n%s\n\n", c.synopsis(), strings.TrimSpace(c.long))
	if c.flags != nil {
		var b bytes.Buffer
		fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
		c.flags(fs)
		fs.SetOutput(&b)
		fs.PrintDefaults()
		fmt.Fprintf(w, "flags (before or after the arguments):\n%s\n", b.String())
	}
	fmt.Fprintf(w, "exit codes: %s\n\nexample:\n  %s\n", c.exits, c.example)
}

// flagSet is the command's flag set with each group of flags declared in
// it, silent: parse prints the errors and the help itself, to the right
// stream.
func (c *command) flagSet(groups ...flagGroup) *flag.FlagSet {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	for _, g := range groups {
		g.declare(fs)
	}
	return fs
}

// flagGroup is flags a command shares with another (-json and -junit, the
// gate's) or binds to its own struct, declared in one call.
type flagGroup interface{ declare(fs *flag.FlagSet) }

// parse parses the flags wherever they stand among the arguments (go's
// flag package stops at the first argument that is not a flag, so `gate
// run.json -all` would read -all as a second file) and returns the other
// arguments; "--" ends the flags. When done, the command returns code at
// once: -h printed the help (0), or a flag was wrong (2).
func (c *command) parse(fs *flag.FlagSet, args []string, std stdio) (pos []string, code int, done bool) {
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			c.help(std.out)
			return nil, 0, true
		}
		if err != nil {
			return nil, c.usageError(std, "%v", err), true
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, 0, false
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), 0, false
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// synopsis is "smokestack NAME ARGS".
func (c *command) synopsis() string {
	return strings.TrimSpace("smokestack " + c.name + " " + c.args)
}

// usageError says what is wrong and how to get help, and is exit code 2.
func (c *command) usageError(std stdio, format string, a ...any) int {
	fmt.Fprintf(std.err, "smokestack %s: %s\nusage: %s  (smokestack %s -h for help)\n",
		c.name, fmt.Sprintf(format, a...), c.synopsis(), c.name)
	return 2
}

// atMostOne is the input of gate and verdict: one file, or stdin. A second
// file would be ignored silently, and a gate judging half of what CI meant
// is worse than no gate.
func (c *command) atMostOne(std stdio, pos []string) (string, bool) {
	switch len(pos) {
	case 0:
		return "", true
	case 1:
		return pos[0], true
	}
	c.usageError(std, "one input at most (FILE, or stdin); extra argument %q", pos[1])
	return "", false
}

// none is for commands that take no arguments.
func (c *command) none(std stdio, pos []string) bool {
	if len(pos) > 0 {
		c.usageError(std, "takes no arguments; extra argument %q", pos[0])
		return false
	}
	return true
}

// parseFlags parses the flags of a command that takes no arguments; done
// says it is over: -h answered, or a bad flag or an argument refused (with
// usage, the command's exit code for that; a bad flag's is parse's).
func (c *command) parseFlags(fs *flag.FlagSet, args []string, std stdio, usage int) (code int, done bool) {
	pos, code, done := c.parse(fs, args, std)
	if done {
		return code, true
	}
	if !c.none(std, pos) {
		return usage, true
	}
	return 0, false
}

// checkRate refuses a pass rate outside 0..1: "95" is the commonest slip
// for 0.95, and as a share it would make every gate fail.
func (c *command) checkRate(std stdio, rate float64) bool {
	if rate >= 0 && rate <= 1 {
		return true
	}
	c.usageError(std, "-min-pass-rate %v is out of range: a share of the judged checks between 0 and 1 (0.95 for 95 %%)", rate)
	return false
}
