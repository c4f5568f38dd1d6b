package checks

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/push"

	"github.com/smokestack-dev/smokestack/harness"
)

// pushTimeout bounds the push of a run's results: the run is over, and a
// Pushgateway that does not answer must not hold the job.
const pushTimeout = 10 * time.Second

// PushSummary puts a run's results where operators already look: the
// Pushgateway at url, job "smokestack", grouped by suite, so the 48-hour
// dashboard can chart the suite's own pass rate. Each push replaces the
// suite's previous one. ok is the run's own verdict (every planned check
// judged, nothing failed).
//
//	smokestack_checks{outcome}                    checks per outcome (PASS, FAIL, NOT_APPLICABLE, NOT_JUDGED, MISSING)
//	smokestack_check_ok{check}                    1 PASS, 0 anything else, for each planned check
//	smokestack_run_ok                             1 when the run is green
//	smokestack_run_duration_seconds               how long the checks took
//	smokestack_last_run_timestamp_seconds         when the run ended
func PushSummary(ctx context.Context, url string, suite Suite, sum Summary, ok bool) error {
	reg := prometheus.NewRegistry()
	checks := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "smokestack_checks", Help: "Checks of the last run per outcome."}, []string{"outcome"})
	checkOK := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "smokestack_check_ok", Help: "1 when the check passed in the last run."}, []string{"check"})
	runOK := prometheus.NewGauge(prometheus.GaugeOpts{Name: "smokestack_run_ok", Help: "1 when every planned check was judged and none failed."})
	dur := prometheus.NewGauge(prometheus.GaugeOpts{Name: "smokestack_run_duration_seconds", Help: "How long the last run's checks took."})
	last := prometheus.NewGauge(prometheus.GaugeOpts{Name: "smokestack_last_run_timestamp_seconds", Help: "When the last run ended."})
	reg.MustRegister(checks, checkOK, runOK, dur, last)
	for _, o := range []string{"PASS", "FAIL", "NOT_APPLICABLE", "NOT_JUDGED", "MISSING"} {
		checks.WithLabelValues(o).Set(0)
	}
	for _, c := range sum.Plan.Checks {
		outcome := "MISSING"
		if v, seen := sum.Outcomes[c.ID]; seen {
			outcome = strings.ReplaceAll(string(v.Outcome), " ", "_")
			if v.Outcome == Defect {
				outcome = "FAIL"
			}
		}
		checks.WithLabelValues(outcome).Inc()
		pass := 0.0
		if outcome == "PASS" {
			pass = 1
		}
		checkOK.WithLabelValues(c.ID).Set(pass)
	}
	if ok {
		runOK.Set(1)
	}
	dur.Set(sum.Elapsed.Seconds())
	last.SetToCurrentTime()
	ctx, cancel := context.WithTimeout(ctx, pushTimeout)
	defer cancel()
	err := push.New(url, "smokestack").Grouping("suite", string(suite)).Gatherer(reg).
		Client(&http.Client{Timeout: pushTimeout}).PushContext(ctx)
	if err != nil {
		return fmt.Errorf("push the results to the Pushgateway at %s: %s", harness.RedactURL(url), harness.RedactText(err.Error()))
	}
	return nil
}
