package checks

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/harness"
	"github.com/smokestack-dev/smokestack/harness/harnesstest"
)

// answers is an imitation Prometheus's instant queries: the first pair
// whose text is in the query gives its value ("" for no series).
type answers [][2]string

// successStack is a live stack of an imitation Prometheus answering as
// given (and a Genesis that only exists), with the window set.
func successStack(t *testing.T, window string, a answers) *harness.Stack {
	t.Helper()
	prom := func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		q := r.Form.Get("query")
		w.Header().Set("Content-Type", "application/json")
		result := ""
		for _, p := range a {
			if strings.Contains(q, p[0]) {
				if p[1] != "" {
					result = fmt.Sprintf(`{"metric":{"job":"genesis"},"value":[1700000000,%q]}`, p[1])
				}
				break
			}
		}
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[%s]}}`, result)
	}
	return harnesstest.NewStack(t, map[harness.Component]http.Handler{harness.Prometheus: http.HandlerFunc(prom), harness.Genesis: body(404, "", "")}, harnesstest.Env(map[string]string{harness.Env.SuccessWindow: window}))
}

func successVerdict(t *testing.T, window, name string, a answers) Verdict {
	t.Helper()
	return Evaluate(context.Background(), successStack(t, window, a), check(t, "TestSuccessMetrics/"+name))
}

// Each metric's rule, on the numbers Prometheus gives: a rate over too
// little evidence is NOT JUDGED, never a pass; a floor or a budget over no
// data fails; a family the contract requires that is absent fails.
func TestSuccessMetricRules(t *testing.T) {
	const fivexx = `code=~"5.."`
	cases := []struct {
		name, check, window string
		a                   answers
		want                Outcome
		says                string
	}{
		{"no requests series", "error_rate", "1h", answers{{"genesis_http_requests_total", ""}}, Fail, "no genesis_http_requests_total series"},
		{"500 requests, no 5xx", "error_rate", "1h", answers{{fivexx, ""}, {"genesis_http_requests_total", "500"}}, NotJudged, "only 500 requests"},
		{"500 requests, one 5xx", "error_rate", "1h", answers{{fivexx, "1"}, {"genesis_http_requests_total", "500"}}, Fail, "error rate 0.200%"},
		{"2000 requests, one 5xx", "error_rate", "1h", answers{{fivexx, "1"}, {"genesis_http_requests_total", "2000"}}, Pass, ""},
		{"2000 requests, two 5xx", "error_rate", "1h", answers{{fivexx, "2"}, {"genesis_http_requests_total", "2000"}}, Fail, ">= 0.1%"},

		{"19 retries, none failed", "retry_success", "1h", answers{{`"success"`, "19"}, {`"failure"`, "0"}}, NotJudged, "only 19 retries"},
		{"20 retries, none failed", "retry_success", "1h", answers{{`"success"`, "20"}, {`"failure"`, "0"}}, Pass, ""},
		{"one failed in 20", "retry_success", "1h", answers{{`"success"`, "19"}, {`"failure"`, "1"}}, Fail, "95.0% of 20 retries"},
		{"no retry series", "retry_success", "1h", answers{}, Fail, "no genesis_retries_total"},

		{"no trips", "breaker_trips", "48h", answers{{"trips_total", "0"}}, Pass, ""},
		{"9 trips in 2 days", "breaker_trips", "48h", answers{{"trips_total", "9"}}, Pass, ""},
		{"10 trips in 2 days", "breaker_trips", "48h", answers{{"trips_total", "10"}}, Fail, "5.0 a day >= 5"},
		{"one trip in an hour", "breaker_trips", "1h", answers{{"trips_total", "1"}}, Fail, "24.0 a day"},
		{"no trips series", "breaker_trips", "48h", answers{{"breaker_state", "3"}}, Fail, "3 breakers"},

		{"101 traces an hour, exported", "traces_generated", "1h", answers{{"orchestrate", "101"}, {"spans_exported", "303"}}, Pass, ""},
		{"100 traces an hour", "traces_generated", "1h", answers{{"orchestrate", "100"}, {"spans_exported", "300"}}, Fail, "<= 100"},
		{"no orchestration", "traces_generated", "1h", answers{{"spans_exported", "300"}}, Fail, "0 traces generated"},
		{"traces not exported", "traces_generated", "1h", answers{{"orchestrate", "200"}, {"spans_exported", "150"}}, Fail, "only 150 spans exported"},
		{"no span counter", "traces_generated", "1h", answers{{"orchestrate", "200"}}, Fail, "no genesis_spans_exported_total"},

		{"2000 samples an hour", "metrics_ingestion", "1h", answers{{"genesis_build_info", "1"}, {"scrape_samples", "2000"}}, Pass, ""},
		{"1000 samples an hour", "metrics_ingestion", "1h", answers{{"genesis_build_info", "1"}, {"scrape_samples", "1000"}}, Fail, "<= 1000"},
		{"service not collected", "metrics_ingestion", "1h", answers{}, Fail, "0 samples an hour"},

		{"HTDAG within budget", "htdag_p95", "1h", answers{{"histogram_quantile", "0.15"}, {"_count", "100"}}, Pass, ""},
		{"HTDAG over budget", "htdag_p95", "1h", answers{{"histogram_quantile", "0.25"}, {"_count", "100"}}, Fail, "p(95)=250ms"},
		{"HTDAG at the budget", "htdag_p95", "1h", answers{{"histogram_quantile", "0.2"}, {"_count", "100"}}, Fail, "over the budget p(95)<200ms"},
		{"19 observations", "htdag_p95", "1h", answers{{"histogram_quantile", "0.01"}, {"_count", "19"}}, Fail, "only 19 HTDAG observations"},
		{"no histogram", "aop_p95", "1h", answers{}, Fail, "not met on no data"},
		{"no quantile", "halo_p95", "1h", answers{{"histogram_quantile", "NaN"}, {"_count", "100"}}, Fail, "no HALO quantile"},
	}
	for _, c := range cases {
		t.Run(c.check+"/"+c.name, func(t *testing.T) {
			v := successVerdict(t, c.window, c.check, c.a)
			require.Equal(t, c.want, v.Outcome, "%v", v.Err)
			if c.says != "" {
				assert.Contains(t, v.Err.Error(), c.says)
			}
			if v.Outcome == Pass {
				assert.NotEmpty(t, v.Notes, "a passing metric says what it read")
			}
		})
	}
}

// TestWindowQueriesCoverExactlyTheWindow: every query of one window check
// is evaluated at the same instant, over a range from exactly the
// window's start to it (to the millisecond): neither a sample from before
// the start (another fault's) nor the baseline scrape the synthetic load
// waits for right after the start is misjudged by a rounded range.
func TestWindowQueriesCoverExactlyTheWindow(t *testing.T) {
	var mu sync.Mutex
	type asked struct {
		at  float64
		rng time.Duration
	}
	var seen []asked
	rangeRE := regexp.MustCompile(`\[(\d+)ms\]`)
	prom := func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		at, err := strconv.ParseFloat(r.Form.Get("time"), 64)
		require.NoError(t, err, "every window query names its instant")
		m := rangeRE.FindStringSubmatch(r.Form.Get("query"))
		require.NotNil(t, m, "a range in milliseconds: %s", r.Form.Get("query"))
		ms, _ := strconv.Atoi(m[1])
		mu.Lock()
		seen = append(seen, asked{at, time.Duration(ms) * time.Millisecond})
		mu.Unlock()
		// Slow answers: a query evaluated at its own "now" would cover
		// a later window than the one before it.
		time.Sleep(30 * time.Millisecond)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"3"]}]}}`)
	}
	s := harnesstest.NewStack(t, map[harness.Component]http.Handler{harness.Prometheus: http.HandlerFunc(prom), harness.Genesis: body(404, "", "")})
	start := time.Now().Add(-7*time.Second - 470*time.Millisecond)
	Evaluate(context.Background(), s.WithWindowStart(start), check(t, "TestSuccessMetrics/retry_success"))
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, seen, 2, "the successes and the failures")
	for _, a := range seen {
		assert.Equal(t, seen[0].at, a.at, "one instant for the window's queries")
		end := time.UnixMilli(int64(math.Round(a.at * 1000)))
		assert.InDelta(t, 0, end.Add(-a.rng).Sub(start).Milliseconds(), 1, "the range reaches back to the window's start, not before it nor after it")
	}
}

func TestLogLineProblem(t *testing.T) {
	for line, want := range map[string]string{
		`{"timestamp":"2026-12-01T00:00:00Z","level":"INFO","logger":"genesis","message":"request served"}`: "",
		`2026-12-01T00:00:00Z INFO [server] request served`:                                                 "not JSON",
		`{"timestamp":"2026-12-01T00:00:00Z","level":"INFO"}`:                                               "JSON without message",
		`{"time":"x","lvl":"info","msg":"hi"}`:                                                              "JSON without timestamp, level, message",
		`["not","an","object"]`:                                                                             "not JSON",
	} {
		assert.Equal(t, want, logLineProblem([]byte(line)), line)
	}
}

// TestSuccessWindowLeavesALiveTargetAlone: on a live target the success
// metrics read its own traffic; the synthetic load is for ephemeral stacks
// only, and a live stack comes back untouched (read-only by default).
func TestSuccessWindowLeavesALiveTargetAlone(t *testing.T) {
	var requests atomic.Int64
	s := harnesstest.NewStack(t, map[harness.Component]http.Handler{
		harness.Genesis: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { requests.Add(1); w.WriteHeader(http.StatusOK) }),
	})
	require.Equal(t, harness.Live, s.Mode())
	assert.Same(t, s, SuccessWindowFor(t, s))
	assert.Zero(t, requests.Load(), "no request to a live target")
	assert.Nil(t, SuccessWindowFor(t, nil))
}
