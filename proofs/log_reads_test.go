package proofs

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/checks"
	"github.com/smokestack-dev/smokestack/harness"
)

// TestLogReadsFromTheEndMatchTheEngine holds the harness's reads of a log
// since a time (from the end of the log, with the engine's timestamps) to
// the engine's own since filter, on the real engine and the reference
// service's real log: since before the log began, thousands of entries
// back (past the first window), a few entries back, and after the end.
// The service logs on (Prometheus scrapes it), so the harness's read must
// lie between two reads of the engine's, one before and one after it.
func TestLogReadsFromTheEndMatchTheEngine(t *testing.T) {
	ephemeralOnly(t, "reads the reference service's container log through the engine: ephemeral mode only (SMOKE_TARGET unset)")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	g := stack.Genesis()
	requests := func(n int) {
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < n; i += 8 {
					_, _ = g.Health(ctx) // each one a "request served" line
				}
			}()
		}
		wg.Wait()
	}
	mark := func() time.Time {
		time.Sleep(50 * time.Millisecond)
		m := time.Now()
		time.Sleep(50 * time.Millisecond)
		return m
	}
	marks := map[string]time.Time{"before the log began": time.Now().Add(-24 * time.Hour)}
	requests(200)
	marks["past the first two windows (4500 entries back)"] = mark()
	requests(4500)
	marks["a few entries back"] = mark()
	requests(100)
	marks["after the end"] = time.Now().Add(time.Hour)

	cli, err := stack.Docker()
	require.NoError(t, err)
	name := stack.ContainerName(harness.Genesis)
	require.NotEmpty(t, name, "the reference service's container")
	for what, since := range marks {
		t.Run(what, func(t *testing.T) {
			before := engineSince(ctx, t, cli, name, since)
			got, err := stack.LogsSince(ctx, harness.Genesis, since)
			require.NoError(t, err)
			after := engineSince(ctx, t, cli, name, since)
			if !bytes.HasPrefix(got, before) || !bytes.HasPrefix(after, got) {
				t.Errorf("since %s: the harness read %d bytes (%d lines), the engine %d then %d; first lines: harness %q, engine %q",
					since.Format(time.RFC3339Nano), len(got), bytes.Count(got, []byte("\n")), len(before), len(after), head(got), head(before))
				return
			}
			t.Logf("since %s: %d lines, as the engine's own filter", since.Format(time.StampMilli), bytes.Count(got, []byte("\n")))
		})
	}
}

// engineSince is the engine's own since filter over the container's log.
func engineSince(ctx context.Context, t *testing.T, cli *client.Client, container string, since time.Time) []byte {
	t.Helper()
	rc, err := cli.ContainerLogs(ctx, container, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true,
		Since: fmt.Sprintf("%d.%09d", since.Unix(), since.Nanosecond())})
	require.NoError(t, err)
	defer rc.Close()
	var b bytes.Buffer
	_, err = stdcopy.StdCopy(&b, &b, rc)
	if err != io.EOF {
		require.NoError(t, err)
	}
	return b.Bytes()
}

// head is the first line of a log, for a message, redacted.
func head(b []byte) string {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	return harness.RedactText(string(line))
}

// TestLogsCleanReadsOnFromItsMark proves that logs_clean, which reads a
// stack's log on from where its last clean read ended (not from the first
// line every time), still sees every line: a key the service logs after
// clean reads fails it, and the mark never passes that line, so the check
// keeps failing once the knob is off, as a read of the whole log would.
// On a stack of its own: the leaked key stays in the log for good.
func TestLogsCleanReadsOnFromItsMark(t *testing.T) {
	ephemeralOnly(t, "sets a fault knob of the reference service on a stack of its own: ephemeral mode only (SMOKE_TARGET unset)")
	beside(t)
	ctx, s := openOwnStack(t, 2*time.Minute, nil)
	readQuiet(t)
	c, ok := checks.ByID(logsClean)
	require.True(t, ok)
	for i := range 2 {
		v := checks.Evaluate(ctx, s, c)
		require.Equal(t, checks.Pass, v.Outcome, "healthy, read %d: %v", i+1, v.Err)
		t.Logf("clean read %d took %s", i+1, v.Elapsed.Round(time.Millisecond))
	}

	// key_prefix_logs logs the first 8 characters of the API key when set.
	_, err := harness.Done(s.Genesis().SetFaults(ctx, "key_prefix_logs"))
	require.NoError(t, err)
	v := checks.Evaluate(ctx, s, c)
	require.Equal(t, checks.Fail, v.Outcome, "the key logged after the mark: %v", v.Err)
	require.Contains(t, Seen(v.Err), "first 8 characters of the API key")

	_, err = harness.Done(s.Genesis().SetFaults(ctx, ""))
	require.NoError(t, err)
	// Past the check's re-read of the last second (logClockMargin), so
	// that only its read from the mark can find the line: a mark moved
	// past it by the failing read would pass from here on (seen without
	// this wait: the re-read found the line).
	time.Sleep(3 * time.Second)
	for i := range 2 {
		v = checks.Evaluate(ctx, s, c)
		require.Equal(t, checks.Fail, v.Outcome, "the knob off, the key is still in the log (read %d): %v", i+1, v.Err)
		require.Contains(t, Seen(v.Err), "first 8 characters of the API key")
	}
}
