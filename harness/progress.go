package harness

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
)

// consoleOn is set by MainFunc: the binary is a suite run for a person or
// a CI log.
var consoleOn atomic.Bool

// Progressf writes a line that a person watching a plain (not -v) go test
// should see while it runs: go test holds a package's output back until
// the package ends and drops it when the package passes, so a stack that
// takes a minute to start would look hung and a green run would end on a
// bare "ok". The line goes to the Console; with -v or -json it is in the
// output already.
func Progressf(format string, args ...any) {
	c := Console()
	if c == nil {
		return
	}
	defer c.Close()
	fmt.Fprintf(c, "smokestack: "+format+"\n", args...)
}

// Console is where a test binary run by a plain go test reaches the person
// (or the CI log) watching it, past go test's buffering: the go command's
// own standard error when that is a pipe or a terminal (CI logs, shells on
// Linux), else the controlling terminal. It is nil when the binary's output
// is shown as it comes anyway (-v, -json, or go test streaming it, as it
// does without package arguments) and when there is nowhere to write. The
// caller closes it. Only a suite binary (MainFunc) has a console: a unit
// test's lines stay in its own output.
func Console() io.WriteCloser {
	if !consoleOn.Load() || testing.Testing() && testing.Verbose() {
		return nil
	}
	if f, ok := goCommandStderr(os.Getppid()); ok {
		return f // nil when go test streams this binary's output itself
	}
	tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0)
	if err != nil {
		return nil
	}
	return tty
}

// goCommandStderr opens the standard error of the process ppid when it is
// the go command. ok is false when it is not, or /proc cannot tell (not
// Linux). The file is nil, with ok true, when writing there would repeat
// what this binary prints (its standard output is the same file) or harm
// it. A regular file is not opened (ok false: try the terminal), since a
// second writer at offset 0 would overwrite what go test writes there.
func goCommandStderr(ppid int) (f *os.File, ok bool) {
	proc := filepath.Join("/proc", strconv.Itoa(ppid))
	exe, err := os.Readlink(filepath.Join(proc, "exe"))
	if err != nil || filepath.Base(exe) != "go" {
		return nil, false
	}
	path := filepath.Join(proc, "fd", "2")
	theirs, err := os.Stat(path)
	if err != nil || theirs.Mode()&(os.ModeNamedPipe|os.ModeCharDevice) == 0 {
		return nil, false
	}
	if ours, err := os.Stdout.Stat(); err == nil && os.SameFile(ours, theirs) {
		return nil, true
	}
	f, err = os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return nil, true
	}
	return f, true
}

// WithProgress sends the start's milestones (image ready, each component
// up, every target scraped) to progressf as well as to the log.
func WithProgress(progressf func(format string, args ...any)) Option {
	return func(o *startOptions) { o.progressf = progressf }
}
