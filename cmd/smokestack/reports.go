package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/smokestack-dev/smokestack/verdict"
)

// reportFlags are -json and -junit, shared by gate, verdict and monitor.
type reportFlags struct{ json, junit string }

func (r *reportFlags) declare(fs *flag.FlagSet) {
	fs.StringVar(&r.json, "json", "", "also write the report as JSON to `FILE` (fields: see the verdict.Record documentation)")
	fs.StringVar(&r.junit, "junit", "", "also write the report as JUnit XML to `FILE`, for CI test pages")
}

// reportFile is one report file, opened before the work it reports on.
type reportFile struct {
	f       *os.File
	created bool // it did not exist: remove it if nothing is written
	write   func(verdict.Record, io.Writer) error
}

// reports are the open report files of one command.
type reports []*reportFile

// open opens the report files before anything is judged: a path that
// cannot be written is a usage error found at once, not after a verdict
// that CI then cannot read (or after a monitor's 48 hours). Nothing is
// truncated until there is a report to write.
func (r reportFlags) open() (reports, error) {
	if r.json != "" && r.json == r.junit {
		return nil, fmt.Errorf("-json and -junit name the same file %q", r.json)
	}
	var out reports
	for _, spec := range []struct {
		path  string
		write func(verdict.Record, io.Writer) error
	}{
		{r.json, verdict.Record.WriteJSON},
		{r.junit, verdict.Record.WriteJUnit},
	} {
		if spec.path == "" {
			continue
		}
		_, statErr := os.Stat(spec.path)
		if dir := filepath.Dir(spec.path); dir != "." {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				out.abort()
				return nil, err
			}
		}
		f, err := os.OpenFile(spec.path, os.O_WRONLY|os.O_CREATE, 0o644)
		if err != nil {
			out.abort()
			return nil, err
		}
		out = append(out, &reportFile{f: f, created: errors.Is(statErr, os.ErrNotExist), write: spec.write})
	}
	return out, nil
}

// write replaces each file's content with the record; it may be called
// again (a monitor rewrites its reports after every round, so a run that is
// killed still leaves the worst round so far).
func (rs reports) write(rec verdict.Record) error {
	for _, r := range rs {
		r.created = false
		if err := r.f.Truncate(0); err != nil {
			return err
		}
		if _, err := r.f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		if err := r.write(rec, r.f); err != nil {
			return fmt.Errorf("%s: %w", r.f.Name(), err)
		}
	}
	return nil
}

// close closes the files; one that was created and never written is
// removed, so an unjudged run leaves no empty report for CI to misread.
func (rs reports) close() error {
	var first error
	for _, r := range rs {
		if err := r.f.Close(); err != nil && first == nil {
			first = err
		}
		if r.created {
			_ = os.Remove(r.f.Name())
		}
	}
	return first
}

func (rs reports) abort() { _ = rs.close() }

// finish writes the record and closes the files. A report that cannot be
// written is exit code 2 whatever the decision: CI asked for evidence that
// does not exist.
func (rs reports) finish(c *command, std stdio, rec verdict.Record, code int) int {
	err := rs.write(rec)
	if cerr := rs.close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintf(std.err, "smokestack %s: cannot write the report: %v\n", c.name, err)
		return 2
	}
	return code
}
