package perf

import (
	"fmt"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/smokestack-dev/smokestack/harness"
)

// ServerVerdict is the server-side half of a budget: the P95 the service's
// own histogram recorded over the timed requests (what dashboards and
// alerts read). Problem is empty when it holds; Next says where to look.
type ServerVerdict struct {
	Q       harness.ServerQuantile
	Problem string
	Next    string
}

// JudgeServer judges the stage histogram scraped before and after sent
// timed requests whose client-side P95 was clientP95: its P95 is within the
// budget too, and agrees with the client's — a server cannot take longer
// than its client waited, so a P95 bucket starting above the client's P95
// plus slack is a histogram that does not move with real latency. The
// agreement is judged only when the histogram observed exactly the timed
// requests; other traffic (a live target) may be slower than the suite's,
// but still counts against the budget.
func (o Op) JudgeServer(clientP95 time.Duration, before, after map[string]*dto.MetricFamily, sent int) ServerVerdict {
	a, found, err := harness.HistogramValue(after, o.Histogram, nil)
	switch {
	case err != nil:
		return ServerVerdict{Problem: err.Error(), Next: "next: the service's /metrics; CONTRACT.md names the stage histograms"}
	case !found:
		return ServerVerdict{Problem: "no " + o.Histogram + " series", Next: "next: the service's /metrics; CONTRACT.md names the stage histograms"}
	}
	b, found, _ := harness.HistogramValue(before, o.Histogram, nil)
	if !found {
		b = harness.Histogram{Buckets: map[float64]float64{}} // the series starts at its first observation
	}
	q, ok := harness.QuantileBetween(o.Budget.Percentile/100, b, a)
	if !ok {
		return ServerVerdict{Q: q, Problem: fmt.Sprintf("%s observed nothing while the suite sent %d %s requests", o.Histogram, sent, o.Name),
			Next: "next: the stage's instrumentation in the service (is the histogram observed on this route?)"}
	}
	client := clientP95.Round(10 * time.Microsecond)
	slack := harness.LatencySlackOf(clientP95)
	if q.Count == float64(sent) && q.Lo > slack.Seconds() {
		return ServerVerdict{Q: q,
			Problem: fmt.Sprintf("server-side %s, client-side p(%g) %s: the histogram does not move with these requests' latency (its P95 bucket starts above %s, the client's P95 with slack)",
				q, o.Budget.Percentile, client, slack.Round(10*time.Microsecond)),
			Next: fmt.Sprintf("next: what the service observes into %s (a timer around the stage, in seconds)", o.Histogram)}
	}
	if q.Value > o.Budget.Limit.Seconds() {
		return ServerVerdict{Q: q,
			Problem: fmt.Sprintf("server-side %s is over the budget %s (client-side p(%g) %s)", q, o.Budget.Limit, o.Budget.Percentile, client),
			Next:    fmt.Sprintf("next: the %s stage's latency on the 48-hour dashboard; other traffic counts here too", o.Name)}
	}
	return ServerVerdict{Q: q}
}
