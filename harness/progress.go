package harness

import (
	"fmt"
	"os"
	"testing"
)

// Progressf writes a line that a person at a terminal should see while a
// plain (not -v) go test runs: go test shows a passing package's output
// only at its end, or never, so a stack that takes a minute to start would
// look hung. The line goes to the terminal itself; with -v it is in the
// output already, and without a terminal (CI) there is nobody to tell.
func Progressf(format string, args ...any) {
	if testing.Testing() && testing.Verbose() {
		return
	}
	tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0)
	if err != nil {
		return
	}
	defer tty.Close()
	fmt.Fprintf(tty, "smokestack: "+format+"\n", args...)
}

// WithProgress sends the start's milestones (image ready, each component
// up, every target scraped) to progressf as well as to the log.
func WithProgress(progressf func(format string, args ...any)) Option {
	return func(o *startOptions) { o.progressf = progressf }
}
