package harness

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
)

// fakeEngine keeps a container log as the engine's json-file driver does:
// entries with the engine's receive time, stdout and stderr in one order.
// It answers as the engine does: the last Tail entries first, then those
// before Since left out, each entry one multiplexed frame, its timestamp
// in front when asked.
type fakeEngine struct {
	entries []fakeEntry
	calls   []string
}

type fakeEntry struct {
	at     time.Time
	stderr bool
	text   string // with its newline, or without for a piece of a long line
}

func (e *fakeEngine) ContainerLogs(_ context.Context, _ string, o client.ContainerLogsOptions) (client.ContainerLogsResult, error) {
	e.calls = append(e.calls, "tail="+o.Tail+" since="+o.Since)
	es := e.entries
	if o.Tail != "" && o.Tail != "all" {
		n, err := strconv.Atoi(o.Tail)
		if err != nil {
			return nil, err
		}
		es = es[max(len(es)-n, 0):]
	}
	var since time.Time
	if o.Since != "" {
		sec, nsec, _ := strings.Cut(o.Since, ".")
		s, _ := strconv.ParseInt(sec, 10, 64)
		ns, _ := strconv.ParseInt(nsec, 10, 64)
		since = time.Unix(s, ns)
	}
	pr, pw := io.Pipe()
	go func() {
		for _, en := range es {
			if !since.IsZero() && en.at.Before(since) {
				continue
			}
			frame := en.text
			if o.Timestamps {
				frame = en.at.UTC().Format("2006-01-02T15:04:05.000000000Z07:00") + " " + frame
			}
			hdr := make([]byte, 8, 8+len(frame))
			hdr[0] = byte(stdcopy.Stdout)
			if en.stderr {
				hdr[0] = byte(stdcopy.Stderr)
			}
			binary.BigEndian.PutUint32(hdr[4:], uint32(len(frame)))
			if _, err := pw.Write(append(hdr, frame...)); err != nil {
				return
			}
		}
		pw.Close()
	}()
	return pr, nil
}

// logOf is what the engine's own since filter gives: the truth a read from
// the end of the log must match.
func (e *fakeEngine) logOf(since time.Time) string {
	var b strings.Builder
	for _, en := range e.entries {
		if !en.at.Before(since) {
			b.WriteString(en.text)
		}
	}
	return b.String()
}

// newFakeEngine holds n entries one millisecond apart from t0, every
// seventh on stderr.
func newFakeEngine(t0 time.Time, n int) *fakeEngine {
	e := &fakeEngine{}
	for i := range n {
		e.entries = append(e.entries, fakeEntry{at: t0.Add(time.Duration(i) * time.Millisecond), stderr: i%7 == 0, text: fmt.Sprintf("line %d\n", i)})
	}
	return e
}

func readAllOf(t *testing.T, rc io.ReadCloser, err error) string {
	t.Helper()
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(b)
}

func withTailWindows(t *testing.T, ws ...int) {
	t.Helper()
	old := tailWindows
	tailWindows = ws
	t.Cleanup(func() { tailWindows = old })
}

// TestTailSinceReadsWhatTheEngineFilters: from the end of the log, every
// entry at or after since and none before, in order, stdout and stderr,
// however far back since is: inside the first window, a few windows back,
// before the log began, past its end, beyond the largest window.
func TestTailSinceReadsWhatTheEngineFilters(t *testing.T) {
	withTailWindows(t, 4, 16, 64)
	t0 := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		since time.Time
		calls int // requests to the engine
	}{
		{"in the first window", t0.Add(198 * time.Millisecond), 1},
		{"on an entry's own timestamp", t0.Add(197 * time.Millisecond), 1},
		{"two windows back", t0.Add(150 * time.Millisecond), 4}, // 4, first entry, 16, 64
		{"before the log began", t0.Add(-time.Hour), 3},         // 4, first entry, then the engine's read
		{"after the last entry", t0.Add(time.Hour), 1},
		{"beyond the largest window", t0.Add(20 * time.Millisecond), 5}, // 4, first entry, 16, 64, the engine's read
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newFakeEngine(t0, 200)
			rc, err := tailSince(context.Background(), e, "id", tc.since)
			got := readAllOf(t, rc, err)
			if want := e.logOf(tc.since); got != want {
				t.Errorf("read since %s:\n got %q\nwant %q", tc.since.Format(time.StampMilli), got, want)
			}
			if len(e.calls) != tc.calls {
				t.Errorf("%d requests to the engine, want %d: %v", len(e.calls), tc.calls, e.calls)
			}
		})
	}
}

// TestTailSinceJoinsTheEnginesPieces: the engine keeps a long line as
// pieces, each with a timestamp of its own; read from the end, the line
// comes back whole, no timestamp inside it (a key cut by one would be
// missed).
func TestTailSinceJoinsTheEnginesPieces(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	e := newFakeEngine(t0, 10)
	long := strings.Repeat("x", 16<<10) + "sk-" + strings.Repeat("y", 16<<10)
	at := t0.Add(time.Second)
	e.entries = append(e.entries,
		fakeEntry{at: at, text: long[:16<<10]},
		fakeEntry{at: at.Add(time.Microsecond), text: long[16<<10 : 32<<10]},
		fakeEntry{at: at.Add(2 * time.Microsecond), text: long[32<<10:] + "\n"},
		fakeEntry{at: at.Add(time.Millisecond), text: "after\n"})
	rc, err := tailSince(context.Background(), e, "id", at)
	got := readAllOf(t, rc, err)
	if want := long + "\nafter\n"; got != want {
		t.Errorf("the long line came back as %d bytes, want %d; holds the key whole: %t", len(got), len(want), strings.Contains(got, "x"+"sk-"+"y"))
	}
}

// TestTailSinceOfAnEmptyLog: nothing to read is not an error.
func TestTailSinceOfAnEmptyLog(t *testing.T) {
	e := &fakeEngine{}
	rc, err := tailSince(context.Background(), e, "id", time.Now())
	if got := readAllOf(t, rc, err); got != "" {
		t.Errorf("empty log read as %q", got)
	}
}

// TestFrameReaderRefusesWhatIsNoMultiplexedLog: a TTY container's raw
// stream, or a cut one, is an error, never an empty log.
func TestFrameReaderRefusesWhatIsNoMultiplexedLog(t *testing.T) {
	for name, stream := range map[string]string{
		"raw text":          "2026-12-02T08:00:00.000000000Z hello\n",
		"cut inside header": "\x01\x00\x00",
		"cut inside frame":  "\x01\x00\x00\x00\x00\x00\x00\x40short",
		"no timestamp":      "\x01\x00\x00\x00\x00\x00\x00\x05hello",
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := (&frameReader{r: io.NopCloser(strings.NewReader(stream))}).next()
			if err == nil || err == io.EOF {
				t.Errorf("read %q: %v, want an error", stream, err)
			}
		})
	}
}

// unstampedEngine answers like an engine that puts no timestamp (or one of
// another form) before its entries.
type unstampedEngine struct{ *fakeEngine }

func (e unstampedEngine) ContainerLogs(ctx context.Context, id string, o client.ContainerLogsOptions) (client.ContainerLogsResult, error) {
	o.Timestamps = false
	return e.fakeEngine.ContainerLogs(ctx, id, o)
}

// TestTailSinceFallsBackToTheEnginesFilter: an engine whose entries carry
// no timestamp of the Docker form is read with its own since filter, not
// refused.
func TestTailSinceFallsBackToTheEnginesFilter(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	e := newFakeEngine(t0, 50)
	since := t0.Add(40 * time.Millisecond)
	rc, err := tailSince(context.Background(), unstampedEngine{e}, "id", since)
	if got, want := readAllOf(t, rc, err), e.logOf(since); got != want {
		t.Errorf("read since %s:\n got %q\nwant %q", since.Format(time.StampMilli), got, want)
	}
}
