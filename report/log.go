// Package report turns a monitor log (smokestack monitor -log) into one
// HTML page that on-call can read at the end of the 48-hour watch: the
// decision over every round, charts of the pass rate, of each rollback
// trigger against its limit and of the checks that failed or could not be
// judged, and a table of the rounds.
//
// It reads only the JSON lines the monitor appends after each round's human
// report (verdict.Record, kind "monitor"), so the page tells the same story
// as the log and the -json report: it never re-parses the human text.
package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/smokestack-dev/smokestack/verdict"
)

// Round is one monitoring round as its JSON line in the log tells it.
type Round struct {
	// Line is where the round stands in the log, so that the table and
	// any message point at the line a person can open.
	Line int
	verdict.Record
}

// ErrNoRounds is a log with no JSON round: a monitor that never finished
// a round, a log written by a version without the JSON lines, or the wrong
// file. Drawing an empty page for it would look like a quiet watch.
var ErrNoRounds = errors.New("no monitoring round in the log (no JSON line starting with \"{\"): was it written by smokestack monitor -log?")

// LineError is a JSON line that cannot be read as a round; the line number
// lets a person find it in a log of thousands of human lines.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// ReadLog reads the rounds of a monitor log in the order they were
// appended. Lines that do not start with "{" are the human reports and are
// skipped; a JSON line that is malformed, or is not a monitor round with a
// decision, is an error rather than a skipped round, because a report
// with a round silently missing could hide the one that said ROLLBACK.
// Free text is redacted again: a log written by hand or by an older
// version must not put a key on a page that is passed around.
func ReadLog(r io.Reader) ([]Round, error) {
	br := bufio.NewReader(r) // not a Scanner: a round with long check messages exceeds any fixed line limit
	var rounds []Round
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 && line[0] == '{' {
			round, perr := parseRound(bytes.TrimSpace(line))
			if perr != nil {
				return nil, &LineError{Line: n, Err: perr}
			}
			round.Line = n
			rounds = append(rounds, round)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if len(rounds) == 0 {
		return nil, ErrNoRounds
	}
	return rounds, nil
}

// ReadLogFile is ReadLog of a file; errors name the file.
func ReadLogFile(path string) ([]Round, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rounds, err := ReadLog(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rounds, nil
}

func parseRound(line []byte) (Round, error) {
	var rec verdict.Record
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&rec); err != nil {
		return Round{}, fmt.Errorf("malformed JSON round: %v", err)
	}
	if dec.More() {
		return Round{}, errors.New("malformed JSON round: more than one value on the line")
	}
	if rec.Kind != verdict.KindMonitor {
		return Round{}, fmt.Errorf("kind %q, want %q: not a monitor round", rec.Kind, verdict.KindMonitor)
	}
	switch rec.Decision {
	case verdict.Ship, verdict.Rollback, verdict.Hold:
	default:
		return Round{}, fmt.Errorf("decision %q, want SHIP, ROLLBACK or HOLD", rec.Decision)
	}
	return Round{Record: rec.Redacted()}, nil
}

// Summary is the head of the page: what the watch decided as a whole.
type Summary struct {
	// Worst is the decision of the watch: ROLLBACK over HOLD over SHIP,
	// as the monitor's own exit code decides it. A good last round does
	// not undo a ROLLBACK six hours earlier.
	Worst verdict.Decision
	// Last is the latest round's decision: whether the deployment is
	// healthy now, which Worst alone cannot say.
	Last       verdict.Decision
	Rounds     int
	Ship       int
	Hold       int
	Rollback   int
	First, End time.Time     // the earliest and latest round's time
	Span       time.Duration // End - First
	Unreadable int           // trigger readings with no value: gaps in the charts
}

// Summarize is the summary of the rounds, which must not be empty.
func Summarize(rounds []Round) Summary {
	s := Summary{Rounds: len(rounds)}
	ds := make([]verdict.Decision, 0, len(rounds))
	for _, r := range rounds {
		ds = append(ds, r.Decision)
		switch r.Decision {
		case verdict.Ship:
			s.Ship++
		case verdict.Rollback:
			s.Rollback++
		default:
			s.Hold++
		}
		// A round without a time (a hand-written line) must not stretch
		// the span back to year 1.
		if !r.Time.IsZero() && (s.First.IsZero() || r.Time.Before(s.First)) {
			s.First = r.Time
		}
		if !r.Time.IsZero() && r.Time.After(s.End) {
			s.End = r.Time
		}
		for _, t := range r.Triggers {
			if t.Value == nil {
				s.Unreadable++
			}
		}
	}
	s.Worst = verdict.Worst(ds...)
	if len(rounds) > 0 {
		s.Last = rounds[len(rounds)-1].Decision
	}
	s.Span = s.End.Sub(s.First)
	return s
}
