package main

import (
	"flag"
	"fmt"

	"github.com/smokestack-dev/smokestack/report"
)

var reportCommand = &command{
	name:  "report",
	args:  "-log FILE -o DIR",
	short: "the 48-hour report: a monitor log drawn as one HTML page with charts",
	long: `Reads the rounds that smokestack monitor -log appended to FILE (its JSON lines; the human
reports between them are skipped) and writes DIR/index.html: the final verdict (the worst
round: ROLLBACK over HOLD over SHIP) and the last round's decision, the number of rounds and
the time they span; charts of the pass rate per round, of each rollback trigger against its
limit (P95 latency against 500 ms, the 5xx share against 1 %) and of the failed and
not-judged checks per round; and a table of the rounds. A trigger that could not be read is a
gap in its chart, and the table says why. The page is self-contained (charts are embedded
PNGs): copy it anywhere. Takes no arguments.

A malformed JSON line is an error that names its line number, and a log without any round is
an error too: a page with a round left out could hide the one that said ROLLBACK.`,
	exits:   "0 written   2 usage, a log that cannot be read (no JSON round, a malformed line) or a page that cannot be written",
	example: "smokestack report -log logs/production_health.log -o report   # then open report/index.html",
	flags:   func(fs *flag.FlagSet) { new(reportPageFlags).declare(fs) },
	run:     reportMain,
}

// reportPageFlags are report's flags (reportFlags are the -json and -junit
// of the deciding commands).
type reportPageFlags struct{ log, out string }

func (r *reportPageFlags) declare(fs *flag.FlagSet) {
	fs.StringVar(&r.log, "log", "", "the monitor log to read (`FILE`, as given to smokestack monitor -log); required")
	fs.StringVar(&r.out, "o", "", "write the page to `DIR`/index.html (DIR is created); required")
}

// reportMain exits 0 whatever the watch decided: the page is the
// evidence, not the decision (monitor's own exit code was that), and a
// report step that failed on a ROLLBACK would leave on-call without it.
func reportMain(c *command, args []string, std stdio) int {
	var f reportPageFlags
	fs := c.flagSet(&f)
	if code, done := c.parseFlags(fs, args, std, 2); done {
		return code
	}
	if f.log == "" || f.out == "" {
		return c.usageError(std, "-log FILE and -o DIR are both required")
	}
	rounds, err := report.ReadLogFile(f.log)
	if err != nil {
		fmt.Fprintf(std.err, "smokestack report: %v\n", err)
		return 2
	}
	path, err := report.Write(f.out, f.log, rounds)
	if err != nil {
		fmt.Fprintf(std.err, "smokestack report: cannot write the page: %v\n", err)
		return 2
	}
	s := report.Summarize(rounds)
	fmt.Fprintf(std.out, "REPORT: %s, the worst of %d rounds (last %s), %s to %s: %s\n",
		s.Worst, s.Rounds, s.Last, s.First.UTC().Format("2006-01-02 15:04"), s.End.UTC().Format("2006-01-02 15:04 UTC"), path)
	return 0
}
