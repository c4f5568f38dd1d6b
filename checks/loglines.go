package checks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/smokestack-dev/smokestack/harness"
)

// A log line as the contract wants it (CONTRACT.md, "Logs"): one JSON
// object per line on stdout with timestamp, level, logger, message,
// request_id, correlation_id, trace_id and component.

// logLevels are the level names a structured line may carry (upper case;
// compared without case).
var logLevels = []string{"TRACE", "DEBUG", "INFO", "NOTICE", "WARN", "WARNING", "ERROR", "CRITICAL", "FATAL", "PANIC"}

// criticalLevels are the levels no_critical_errors_in_logs refuses.
var criticalLevels = []string{"ERROR", "CRITICAL", "FATAL", "PANIC"}

// requestFields mark a line logged about one request (the access log, a
// request's failure): such a line must carry its request_id.
var requestFields = []string{"method", "path", "status"}

// logLine is what the checks read of one line.
type logLine struct {
	raw    []byte
	isJSON bool
	fields map[string]json.RawMessage
}

func parseLogLine(raw []byte) logLine {
	l := logLine{raw: raw}
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) > 0 && trimmed[0] == '{' && json.Unmarshal(trimmed, &l.fields) == nil {
		l.isJSON = true
	}
	return l
}

// str is a field's string value and whether the field is a string.
func (l logLine) str(key string) (string, bool) {
	raw, ok := l.fields[key]
	if !ok {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// level is the line's level: the "level" field of a JSON line (or
// "levelname", "severity" of other loggers), or, for a text line, the
// first of its first four words that is a level name ("2026-... ERROR
// [server] ...", "ERROR:root:...").
func (l logLine) level() string {
	if l.isJSON {
		for _, k := range []string{"level", "levelname", "severity"} {
			if v, ok := l.str(k); ok && v != "" {
				return strings.ToUpper(v)
			}
		}
		return ""
	}
	words := strings.FieldsFunc(string(l.raw), func(r rune) bool {
		return r == ' ' || r == '\t' || r == '[' || r == ']' || r == '|'
	})
	seen := 0
	for _, w := range words {
		if w == "-" {
			continue // "DATE TIME - logger - LEVEL - message"
		}
		if seen++; seen > 4 {
			break
		}
		for _, key := range []string{"level=", "lvl="} { // logfmt
			if strings.HasPrefix(strings.ToLower(w), key) {
				w = w[len(key):]
				break
			}
		}
		w, _, _ = strings.Cut(w, ":") // "ERROR:root:message", "ERROR:"
		w = strings.ToUpper(strings.Trim(w, "()<>,;\"'"))
		if slices.Contains(logLevels, w) {
			return w
		}
	}
	return ""
}

// critical says whether the line is at ERROR level or above.
func (l logLine) critical() bool { return slices.Contains(criticalLevels, l.level()) }

// drill says whether the line belongs to a request of one of the suite's
// drills (harness.WithDrill): its correlation id says so.
func (l logLine) drill() bool {
	c, _ := l.str("correlation_id")
	return harness.IsDrillCorrelation(c)
}

// structureProblem says what keeps a line from being a structured line of
// the contract ("" when it is one): a JSON object with a parseable
// timestamp, a known level, a logger and a message (strings), and a
// request_id field — not empty on a line about a request.
func structureProblem(l logLine) string {
	if !l.isJSON {
		return "not a JSON object"
	}
	var missing []string
	for _, k := range []string{"timestamp", "level", "logger", "message", "request_id"} {
		if _, ok := l.str(k); !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return "no string field " + strings.Join(missing, ", ")
	}
	ts, _ := l.str("timestamp")
	if _, err := parseISO(ts); err != nil {
		return fmt.Sprintf("timestamp %q is not ISO-8601", ts)
	}
	if lv, _ := l.str("level"); !slices.Contains(logLevels, strings.ToUpper(lv)) {
		return fmt.Sprintf("level %q is not a log level (%s)", lv, strings.Join(logLevels, ", "))
	}
	if lg, _ := l.str("logger"); strings.TrimSpace(lg) == "" {
		return "empty logger"
	}
	if rid, _ := l.str("request_id"); rid == "" {
		for _, k := range requestFields {
			if _, ok := l.fields[k]; ok {
				return fmt.Sprintf("a line about a request (it has %q) with an empty request_id", k)
			}
		}
	}
	return ""
}

// maxQuotedLine is how much of a log line a failure quotes.
const maxQuotedLine = 400

// quoteLine is a log line fit for a failure message: redacted, cut.
func quoteLine(raw []byte) string {
	s := harness.RedactText(strings.TrimSpace(string(raw)))
	if len(s) > maxQuotedLine {
		s = s[:maxQuotedLine]
		for !utf8.ValidString(s) && len(s) > 0 {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return s
}

// scanDeployLog hands every line the service logged since the deploy
// started to fn, and says when that was. A log that cannot be read is NOT
// JUDGED, with why (a live target without SMOKE_CONTAINERS, most often).
func scanDeployLog(ctx context.Context, s *harness.Stack, what string, fn func(logLine) bool) (harness.DeployStart, error) {
	start, err := s.DeployStarted(ctx, harness.Genesis)
	var unavailable *harness.LogsUnavailableError
	switch {
	case errors.As(err, &unavailable):
		return start, CannotJudge("the service's log cannot be read, so %s: %s", what, unavailable.Reason)
	case err != nil:
		return start, CannotJudge("when the deploy started cannot be told (%v), so %s; set %s", err, what, harness.Env.DeployStarted)
	}
	err = s.ScanLogs(ctx, harness.Genesis, start.LogSince(), func(raw []byte) bool { return fn(parseLogLine(raw)) })
	switch {
	case errors.As(err, &unavailable):
		return start, CannotJudge("the service's log cannot be read, so %s: %s", what, unavailable.Reason)
	case err != nil && ctx.Err() != nil:
		return start, CannotJudge("the check's deadline ended before the service's log was read to the end, so %s: %v", what, err)
	case err != nil:
		return start, CannotJudge("the service's log could not be read to the end (%v), so %s", err, what)
	}
	return start, nil
}
