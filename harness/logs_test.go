package harness

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestScanLinesSeesTheFirstLineOfALongLog: the line a leak check exists for
// (a key in the start-up banner) is the first of a log far longer than any
// tail kept in memory.
func TestScanLinesSeesTheFirstLineOfALongLog(t *testing.T) {
	var b strings.Builder
	b.WriteString("banner key=sk-FIRST\n")
	for i := 0; b.Len() < 3*maxLogPiece; i++ {
		b.WriteString("an ordinary line of the service's log\n")
	}
	b.WriteString("the last line")
	var first, last string
	n, err := scanLines(strings.NewReader(b.String()), func(line []byte) bool {
		if first == "" {
			first = string(line)
		}
		last = string(line)
		return true
	})
	if err != nil || first != "banner key=sk-FIRST" || last != "the last line" || n < 1000 {
		t.Errorf("scanLines: %d lines, first %q, last %q, err %v", n, first, last, err)
	}
}

// TestScanLinesCutsAHugeLineWithOverlap: a word across a piece boundary of
// a line longer than a piece is whole in one of the pieces.
func TestScanLinesCutsAHugeLineWithOverlap(t *testing.T) {
	word := "sk-SPLITKEY"
	line := strings.Repeat("x", maxLogPiece-5) + word + strings.Repeat("y", maxLogPiece) + "\nnext\n"
	found, pieces := false, 0
	_, err := scanLines(strings.NewReader(line), func(p []byte) bool {
		pieces++
		found = found || strings.Contains(string(p), word)
		if len(p) > maxLogPiece+64<<10 {
			t.Errorf("a piece of %d bytes", len(p))
		}
		return true
	})
	if err != nil || !found || pieces < 3 {
		t.Errorf("scanLines: found %v in %d pieces, err %v", found, pieces, err)
	}
}

// TestScanLinesStopsWhenAsked: fn's false ends the read.
func TestScanLinesStopsWhenAsked(t *testing.T) {
	n, err := scanLines(strings.NewReader("a\nb\nc\n"), func(line []byte) bool { return string(line) != "b" })
	if err != nil || n != 2 {
		t.Errorf("scanLines read %d lines, err %v; want 2", n, err)
	}
}

func TestReadTailKeepsTheEnd(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 1000; i++ {
		b.WriteString("line of the log number xxxxxxxx\n")
	}
	b.WriteString("the last line\n")
	got, err := readTail(strings.NewReader(b.String()), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) > 100 || !strings.HasSuffix(string(got), "the last line\n") || !strings.HasPrefix(string(got), "line") {
		t.Errorf("readTail kept %q", got)
	}
}

func TestLogsOfALiveStackAreUnavailable(t *testing.T) {
	s, err := Attach(Config{Mode: Live, URLs: map[Component]string{Genesis: "http://127.0.0.1:1"}, Timeouts: DefaultTimeouts,
		Require: []Component{Genesis}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Logs(context.Background(), Genesis)
	var un *LogsUnavailableError
	if !errors.As(err, &un) || !strings.Contains(un.Reason, Env.Containers) {
		t.Errorf("Logs on a live stack without container names: %v, want a LogsUnavailableError naming %s", err, Env.Containers)
	}
}
