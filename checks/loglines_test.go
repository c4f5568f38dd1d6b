package checks

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/harness"
	"github.com/smokestack-dev/smokestack/harness/harnesstest"
)

// A line of the reference service, as it writes it.
const goodLine = `{"timestamp":"2026-12-01T03:04:32.528219381Z","level":"INFO","logger":"genesis.server","message":"request served","request_id":"2d06","correlation_id":"2d06","trace_id":"","component":"server","method":"GET","path":"/health","status":200}`

func TestStructureProblem(t *testing.T) {
	cases := map[string]string{
		goodLine: "",
		`{"timestamp":"2026-12-01T03:04:32Z","level":"WARNING","logger":"genesis.security","message":"API key configured","request_id":""}`: "",
		`{"timestamp":"2026-12-01T03:04:32.123456","level":"info","logger":"genesis","message":"","request_id":""}`:                         "",
		`2026-12-01T03:04:32Z INFO [server] request served request_id=2d06`:                                                                 "not a JSON object",
		`Traceback (most recent call last):`: "not a JSON object",
		`["a","json","array"]`:               "not a JSON object",
		`{"timestamp":"2026-12-01T03:04:32Z","level":"INFO","message":"m","request_id":""}`:                                            "no string field logger",
		`{"timestamp":"2026-12-01T03:04:32Z","level":"INFO","logger":"g","message":"m"}`:                                               "no string field request_id",
		`{"time":"2026-12-01T03:04:32Z","msg":"m"}`:                                                                                    "no string field timestamp, level, logger, message, request_id",
		`{"timestamp":1764558272,"level":"INFO","logger":"g","message":"m","request_id":""}`:                                           "no string field timestamp",
		`{"timestamp":"yesterday","level":"INFO","logger":"g","message":"m","request_id":""}`:                                          `timestamp "yesterday" is not ISO-8601`,
		`{"timestamp":"2026-12-01T03:04:32Z","level":"LOUD","logger":"g","message":"m","request_id":""}`:                               `level "LOUD" is not a log level`,
		`{"timestamp":"2026-12-01T03:04:32Z","level":"INFO","logger":" ","message":"m","request_id":""}`:                               "empty logger",
		`{"timestamp":"2026-12-01T03:04:32Z","level":"INFO","logger":"g","message":"request served","request_id":"","path":"/health"}`: `a line about a request (it has "path") with an empty request_id`,
	}
	for line, want := range cases {
		got := structureProblem(parseLogLine([]byte(line)))
		if want == "" {
			assert.Empty(t, got, line)
		} else {
			assert.Contains(t, got, want, line)
		}
	}
}

func TestLogLevel(t *testing.T) {
	cases := map[string]string{
		goodLine: "INFO",
		`{"timestamp":"t","level":"ERROR","message":"request failed"}`:            "ERROR",
		`{"levelname":"CRITICAL","message":"db gone"}`:                            "CRITICAL",
		`{"severity":"error","message":"x"}`:                                      "ERROR",
		`{"message":"no level"}`:                                                  "",
		`2026-12-01T03:04:32Z ERROR [server] request failed status=500`:           "ERROR",
		`2026-12-01 03:04:32,123 - genesis.a2a - CRITICAL - agents gone`:          "CRITICAL",
		`ERROR:root:Failed to load agent builder`:                                 "ERROR",
		`ERROR:    Exception in ASGI application`:                                 "ERROR",
		`time=2026-12-01T03:04:32Z level=error msg="boom"`:                        "ERROR",
		`2026-12-01T03:04:32Z INFO [server] error budget fine, ERROR count 0`:     "INFO",
		`Traceback (most recent call last):`:                                      "",
		`RuntimeError: agent warm-up thread died (fault knob log_stray_line)`:     "",
		`  File "/app/a2a_service.py", line 212, in _warm_agents`:                 "",
		`panic: runtime error: invalid memory address or nil pointer dereference`: "PANIC",
		`INFO:     127.0.0.1:4242 - "GET /health HTTP/1.1" 200 OK`:                "INFO",
		`a line with the word error far away from its start, error`:               "",
	}
	for line, want := range cases {
		l := parseLogLine([]byte(line))
		assert.Equal(t, want, l.level(), line)
		assert.Equal(t, want != "" && want != "INFO", l.critical(), "critical: %s", line)
	}
}

func TestDrillLines(t *testing.T) {
	drill := parseLogLine([]byte(`{"level":"ERROR","message":"request failed","correlation_id":"` + harness.DrillCorrelationPrefix + `emergency_shutdown_drill-0a1b2c3d","status":503}`))
	assert.True(t, drill.critical())
	assert.True(t, drill.drill(), "the drill's own 503 is excused")
	own := parseLogLine([]byte(`{"level":"ERROR","message":"request failed","correlation_id":"smokestack-redaction-1","status":503}`))
	assert.False(t, own.drill(), "only the drill prefix excuses")
	plain := parseLogLine([]byte(`2026-12-01T03:04:32Z ERROR [server] request failed correlation_id=` + harness.DrillCorrelationPrefix + `x`))
	assert.False(t, plain.drill(), "a text line cannot be attributed")
	assert.Equal(t, `genesis.server: request failed error="boom" status=500`,
		lineSummary(parseLogLine([]byte(`{"level":"ERROR","logger":"genesis.server","message":"request failed","status":500,"error":"boom"}`))))
}

func TestQuoteLineRedactsAndCuts(t *testing.T) {
	long := `{"message":"` + strings.Repeat("é", 400) + `"}`
	q := quoteLine([]byte(long))
	assert.LessOrEqual(t, len(q), maxQuotedLine+len("…"))
	assert.True(t, strings.HasSuffix(q, "…"))
	assert.NotContains(t, quoteLine([]byte(`{"message":"key sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"}`)), "abcdefghijklmnop", "redacted")
}

// The log checks read the container's log: a live target without
// SMOKE_CONTAINERS cannot be judged, and says so.
func TestLogChecksNeedTheLog(t *testing.T) {
	s := harnesstest.NewStack(t, map[harness.Component]http.Handler{harness.Genesis: body(200, "application/json", `{"status":"healthy"}`)})
	for _, id := range []string{"TestObservability/structured_logs", "TestComponentIntegration/no_critical_errors_in_logs"} {
		v := Evaluate(context.Background(), s, check(t, id))
		require.Equal(t, NotJudged, v.Outcome, "%s: %v", id, v.Err)
		assert.Contains(t, Reason(v.Err), harness.Env.Containers, id)
	}
}
