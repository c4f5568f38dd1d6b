// Command smokestack runs what go test cannot: it starts a stack that
// outlives one test binary so several packages share it (up, down), and
// turns runs into the decision on-call acts on (gate, verdict, monitor),
// for a person (text on stdout) and for CI (-json, -junit).
//
//	smokestack up      [-env FILE]        start an ephemeral stack, write its live-mode config to FILE
//	smokestack down    [-env FILE]        remove the stack FILE describes (nothing to remove is fine)
//	smokestack image                      build the reference Genesis image, print its tag
//	smokestack gate    [flags] [FILE]     judge a go test -json stream by the plan it states: PASS, FAIL or HOLD
//	smokestack verdict [flags] [FILE]     SHIP, ROLLBACK or HOLD: the gate plus the rollback triggers
//	smokestack monitor [flags]            the checklist's monitoring script: a report per round, appended to a log
//	smokestack report  -log FILE -o DIR   the 48-hour report: a monitor log as an HTML page with charts
//	smokestack rollback -reason TEXT      the checklist's rollback on a live target: flags, verification, log (-restore undoes it)
//	smokestack version                    the module and Go versions
//
// smokestack -h lists the commands; smokestack COMMAND -h says what one
// does, its flags, exit codes and an example. Flags may follow the
// arguments (smokestack gate run.json -all).
//
// Exit codes: 0 PASS/SHIP, 1 FAIL/ROLLBACK, 2 usage or unreadable input
// (no go test -json events), 3 HOLD (evidence missing: do not ship).
package main

import (
	"fmt"
	"os"
)

func init() {
	commands = []*command{upCommand, downCommand, imageCommand, gateCommand, verdictCommand, monitorCommand, reportCommand, rollbackCommand, versionCommand}
}

func main() {
	os.Exit(run(os.Args[1:], stdio{os.Stdin, os.Stdout, os.Stderr}))
}

// run is the command line: help asked for is exit 0 on stdout; a missing
// or unknown command is a usage error, exit 2 on stderr.
func run(args []string, std stdio) int {
	if len(args) == 0 {
		usage(std.err)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(std.out)
		return 0
	case "help":
		if len(args) == 1 {
			usage(std.out)
			return 0
		}
		if c := lookup(args[1]); c != nil {
			c.help(std.out)
			return 0
		}
		fmt.Fprintf(std.err, "smokestack help: unknown command %q\n", args[1])
		usage(std.err)
		return 2
	case "-version", "--version":
		return versionMain(versionCommand, args[1:], std)
	}
	c := lookup(args[0])
	if c == nil {
		fmt.Fprintf(std.err, "smokestack: unknown command %q\n", args[0])
		usage(std.err)
		return 2
	}
	return c.run(c, args[1:], std)
}
