package harness

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
)

// LogsUnavailableError says why the stack cannot read a component's log
// (a live target, a component without a container). Checks that read logs
// where they can treat it as "not judged here", never as a failure.
type LogsUnavailableError struct{ Reason string }

func (e *LogsUnavailableError) Error() string { return e.Reason }

// maxLogBytes is how much of the end of a log LogsSince keeps.
const maxLogBytes = 16 << 20

// Logs returns the end of a component's container log (stdout and stderr,
// at most the last 16 MiB). On a live stack, or for a component without a
// container, it returns a *LogsUnavailableError saying why. A check that
// must see every line (a secret printed once at start-up) uses ScanLogs.
func (s *Stack) Logs(ctx context.Context, c Component) ([]byte, error) {
	return s.LogsSince(ctx, c, time.Time{})
}

// LogsSince is Logs for the lines the engine received at or after since
// (the zero time: all of them), so that a check reads what its own
// requests caused, not a whole run's log.
func (s *Stack) LogsSince(ctx context.Context, c Component, since time.Time) ([]byte, error) {
	rc, err := s.openLog(ctx, c, since)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := readTail(rc, maxLogBytes)
	if err != nil {
		return nil, fmt.Errorf("read the %s container log: %w", c.Title(), err)
	}
	return b, nil
}

// maxLogPiece bounds the memory one log line can take in ScanLogs: a
// longer line is handed over in pieces of this size, each starting
// logPieceOverlap bytes before the previous one ended, so that a word
// (a key) cut by a piece boundary is still whole in one piece.
const (
	maxLogPiece     = 1 << 20
	logPieceOverlap = 512
)

// ScanLogs hands every line of a component's container log received at or
// after since (the zero time: all of it) to fn, in order, without keeping
// the log in memory: a check that must see the first line of a long log
// (a key printed at start-up, hours of lines ago) reads it all. fn returns
// false to stop early. The read ends with ctx; an error says how far it got.
func (s *Stack) ScanLogs(ctx context.Context, c Component, since time.Time, fn func(line []byte) bool) error {
	rc, err := s.openLog(ctx, c, since)
	if err != nil {
		return err
	}
	defer rc.Close()
	lines, err := scanLines(rc, fn)
	if err != nil {
		return fmt.Errorf("read the %s container log (after %d lines): %w", c.Title(), lines, err)
	}
	return nil
}

// scanLines is ScanLogs's reader: lines without their newline, long
// lines in overlapping pieces. It returns how many lines it handed over.
func scanLines(r io.Reader, fn func([]byte) bool) (int, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var piece []byte
	n := 0
	for {
		chunk, err := br.ReadSlice('\n')
		piece = append(piece, chunk...)
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			if len(piece) >= maxLogPiece {
				n++
				if !fn(piece) {
					return n, nil
				}
				piece = append(piece[:0], piece[len(piece)-logPieceOverlap:]...)
			}
			continue
		case err != nil && !errors.Is(err, io.EOF):
			return n, err
		}
		if line := bytes.TrimSuffix(piece, []byte("\n")); len(line) > 0 || err == nil {
			n++
			if !fn(line) {
				return n, nil
			}
		}
		piece = piece[:0]
		if err != nil {
			return n, nil
		}
	}
}

// openLog opens the demultiplexed stdout and stderr of the component's
// container: one this run started, or (live) the one SMOKE_CONTAINERS
// names for it, on DOCKER_HOST's engine. A read since a time starts from
// the end of the log (see tailSince): the engine decodes a json-file log
// from its first line even for a since filter, and a long run's log made
// every such read cost seconds.
func (s *Stack) openLog(ctx context.Context, c Component, since time.Time) (io.ReadCloser, error) {
	id, err := s.containerID(c)
	if err != nil {
		return nil, err
	}
	cli, err := s.Docker()
	if err != nil {
		return nil, fmt.Errorf("read the %s container log: %w", c.Title(), err)
	}
	var rc io.ReadCloser
	if since.IsZero() {
		rc, err = wholeLog(ctx, cli, id, since)
	} else {
		rc, err = tailSince(ctx, cli, id, since)
	}
	if err != nil {
		return nil, fmt.Errorf("read the %s container log: %w", c.Title(), err)
	}
	return rc, nil
}

// logSource is the engine's log endpoint, the one call the readers make
// (an interface so that the window logic is tested against a fake engine
// that keeps the real one's rules: tail first, then since).
type logSource interface {
	ContainerLogs(ctx context.Context, id string, opts client.ContainerLogsOptions) (client.ContainerLogsResult, error)
}

// wholeLog is the engine's own read: every entry from the first, those
// before since (unless zero) left out by the engine.
func wholeLog(ctx context.Context, cli logSource, id string, since time.Time) (io.ReadCloser, error) {
	opts := client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true}
	if !since.IsZero() {
		opts.Since = fmt.Sprintf("%d.%09d", since.Unix(), since.Nanosecond())
	}
	rc, err := cli.ContainerLogs(ctx, id, opts)
	if err != nil {
		return nil, err
	}
	// The stack's containers run without a TTY: the stream is multiplexed.
	pr, pw := io.Pipe()
	go func() {
		_, err := stdcopy.StdCopy(pw, pw, rc)
		pw.CloseWithError(err)
	}()
	return closeBoth{pr, rc}, nil
}

// tailWindows are the numbers of entries, from the end of the log, that
// tailSince asks for in turn: most reads since a time want the last
// seconds or minutes of a log, a few dozen to a few hundred entries. The
// engine decodes and sends every entry of a window, each written and
// flushed alone: a first window of 4096 made the fault matrix's many short
// reads (a fence every 100 ms, the log checks of every evaluation) the
// largest part of the engine's and the suite's CPU time, on two cores.
var tailWindows = []int{512, 4096, 32768, 262144}

// tailSince reads the entries at or after since from the end of the log:
// the last n entries, with the engine's timestamps, are enough once the
// first of them is older than since; then every entry from since on is in
// them, and the older ones are left out here as the engine would. A
// window too short is asked again larger; a log whose very first entry is
// already at or after since is read whole. Past the largest window the
// engine's own since filter reads it.
func tailSince(ctx context.Context, cli logSource, id string, since time.Time) (io.ReadCloser, error) {
	for i, n := range tailWindows {
		rc, err := cli.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Timestamps: true, Tail: strconv.Itoa(n)})
		if err != nil {
			return nil, err
		}
		fr := &frameReader{r: rc}
		ts, _, err := fr.next()
		switch {
		case errors.Is(err, io.EOF):
			rc.Close()
			return io.NopCloser(bytes.NewReader(nil)), nil
		case errors.As(err, new(*entryFormatError)):
			// An engine that stamps entries otherwise: its own filter reads.
			rc.Close()
			return wholeLog(ctx, cli, id, since)
		case err != nil:
			rc.Close()
			return nil, err
		case ts.Before(since):
			return fr.since(since), nil
		}
		rc.Close()
		if i == 0 {
			// Is the whole log newer than since? Its first entry says,
			// and reading one entry from the start costs one entry.
			first, err := firstEntry(ctx, cli, id)
			if err != nil {
				return nil, err
			}
			if !first.Before(since) {
				break
			}
		}
	}
	return wholeLog(ctx, cli, id, since)
}

// firstEntry is the engine's timestamp of the log's first entry.
func firstEntry(ctx context.Context, cli logSource, id string) (time.Time, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rc, err := cli.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Timestamps: true})
	if err != nil {
		return time.Time{}, err
	}
	defer rc.Close()
	ts, _, err := (&frameReader{r: rc}).next()
	if errors.Is(err, io.EOF) {
		return time.Now(), nil // an empty log holds nothing older than any since
	}
	return ts, err
}

// frameReader reads the engine's multiplexed log stream one frame (one
// log entry: a line, or a piece of a long one) at a time, splitting off
// the timestamp the engine puts before each entry. Per frame, not per
// line: a long line's pieces each carry a timestamp of their own.
type frameReader struct {
	r   io.ReadCloser
	hdr [8]byte
	buf []byte
}

// maxFrame bounds one entry's size: the engine splits lines at 16 KiB.
const maxFrame = 1 << 24

func (f *frameReader) next() (time.Time, []byte, error) {
	if _, err := io.ReadFull(f.r, f.hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return time.Time{}, nil, fmt.Errorf("log stream cut inside a frame header: %w", err)
		}
		return time.Time{}, nil, err
	}
	size := binary.BigEndian.Uint32(f.hdr[4:])
	if size > maxFrame {
		return time.Time{}, nil, fmt.Errorf("log frame of %d bytes (stream %d): not a multiplexed log (a TTY container?)", size, f.hdr[0])
	}
	f.buf = slices.Grow(f.buf[:0], int(size))[:size]
	if _, err := io.ReadFull(f.r, f.buf); err != nil {
		return time.Time{}, nil, fmt.Errorf("log stream cut inside a frame: %w", err)
	}
	stamp, line, ok := bytes.Cut(f.buf, []byte(" "))
	if !ok {
		return time.Time{}, nil, &entryFormatError{fmt.Sprintf("log entry without the engine's timestamp: %.80q", f.buf)}
	}
	ts, err := time.Parse(time.RFC3339Nano, string(stamp))
	if err != nil {
		return time.Time{}, nil, &entryFormatError{"log entry timestamp: " + err.Error()}
	}
	return ts, line, nil
}

// entryFormatError says a log entry did not start with a timestamp as the
// Docker engine writes it.
type entryFormatError struct{ msg string }

func (e *entryFormatError) Error() string { return e.msg }

// since streams the entries at or after t, without their timestamps; the
// one already read (first) is older than t.
func (f *frameReader) since(t time.Time) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		for {
			ts, line, err := f.next()
			if errors.Is(err, io.EOF) {
				pw.Close()
				return
			}
			if err != nil {
				pw.CloseWithError(err)
				return
			}
			if ts.Before(t) {
				continue
			}
			if _, err := pw.Write(line); err != nil {
				return
			}
		}
	}()
	return closeBoth{pr, f.r}
}

// closeBoth closes the demultiplexed reader and the engine's stream, so an
// early stop ends the copying goroutine too.
type closeBoth struct {
	*io.PipeReader
	src io.Closer
}

func (c closeBoth) Close() error {
	c.src.Close()
	return c.PipeReader.Close()
}

// readTail reads r to the end and keeps its last max bytes, from the start
// of a line.
func readTail(r io.Reader, max int) ([]byte, error) {
	var keep []byte
	cut := false
	buf := make([]byte, 64<<10)
	for {
		n, err := r.Read(buf)
		keep = append(keep, buf[:n]...)
		if len(keep) > 2*max {
			keep = append([]byte(nil), keep[len(keep)-max:]...)
			cut = true
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read log: %w", err)
		}
	}
	if len(keep) > max {
		keep = keep[len(keep)-max:]
		cut = true
	}
	if cut {
		if i := bytes.IndexByte(keep, '\n'); i >= 0 {
			keep = keep[i+1:]
		}
	}
	return keep, nil
}
