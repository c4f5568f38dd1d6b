package harness

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
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
// names for it, on DOCKER_HOST's engine.
func (s *Stack) openLog(ctx context.Context, c Component, since time.Time) (io.ReadCloser, error) {
	id, err := s.containerID(c)
	if err != nil {
		return nil, err
	}
	cli, err := s.Docker()
	if err != nil {
		return nil, fmt.Errorf("read the %s container log: %w", c.Title(), err)
	}
	opts := client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true}
	if !since.IsZero() {
		opts.Since = fmt.Sprintf("%d.%09d", since.Unix(), since.Nanosecond())
	}
	rc, err := cli.ContainerLogs(ctx, id, opts)
	if err != nil {
		return nil, fmt.Errorf("read the %s container log: %w", c.Title(), err)
	}
	// The stack's containers run without a TTY: the stream is multiplexed.
	pr, pw := io.Pipe()
	go func() {
		_, err := stdcopy.StdCopy(pw, pw, rc)
		pw.CloseWithError(err)
	}()
	return closeBoth{pr, rc}, nil
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
