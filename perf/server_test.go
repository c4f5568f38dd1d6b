package perf

import (
	"fmt"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/smokestack-dev/smokestack/harness"
)

// exposition is a stage histogram with cumulative counts per bound.
func exposition(t *testing.T, count int, buckets map[string]int, sum float64) map[string]*dto.MetricFamily {
	t.Helper()
	var b strings.Builder
	b.WriteString("# TYPE genesis_htdag_decomposition_duration_seconds histogram\n")
	for _, le := range []string{"0.005", "0.01", "0.1", "0.2", "1", "5"} {
		fmt.Fprintf(&b, "genesis_htdag_decomposition_duration_seconds_bucket{le=%q} %d\n", le, buckets[le])
	}
	fmt.Fprintf(&b, "genesis_htdag_decomposition_duration_seconds_bucket{le=\"+Inf\"} %d\n", count)
	fmt.Fprintf(&b, "genesis_htdag_decomposition_duration_seconds_sum %g\ngenesis_htdag_decomposition_duration_seconds_count %d\n", sum, count)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

func TestJudgeServer(t *testing.T) {
	op := Op{Name: "htdag", Budget: harness.BudgetHTDAG, Histogram: "genesis_htdag_decomposition_duration_seconds"}
	before := exposition(t, 0, nil, 0)
	all := func(n int) map[string]int {
		return map[string]int{"0.005": n, "0.01": n, "0.1": n, "0.2": n, "1": n, "5": n}
	}
	// 20 requests of about 3 ms on both clocks: holds.
	if v := op.JudgeServer(4*time.Millisecond, before, exposition(t, 20, all(20), 0.06), 20); v.Problem != "" {
		t.Errorf("a histogram agreeing with the client: %s", v.Problem)
	}
	// Random 0-5 s observations for requests the client saw take 4 ms.
	random := map[string]int{"0.005": 0, "0.01": 0, "0.1": 0, "0.2": 1, "1": 4, "5": 20}
	v := op.JudgeServer(4*time.Millisecond, before, exposition(t, 20, random, 50), 20)
	if !strings.Contains(v.Problem, "does not move with these requests' latency") {
		t.Errorf("random observations: %q", v.Problem)
	}
	// Other traffic (not isolated), slow: over budget, not a disagreement.
	slow := map[string]int{"0.005": 20, "0.01": 20, "0.1": 20, "0.2": 20, "1": 40, "5": 40}
	v = op.JudgeServer(4*time.Millisecond, before, exposition(t, 40, slow, 20), 20)
	if !strings.Contains(v.Problem, "is over the budget 200ms") {
		t.Errorf("slow other traffic: %q", v.Problem)
	}
	// Nothing observed.
	v = op.JudgeServer(4*time.Millisecond, before, before, 20)
	if !strings.Contains(v.Problem, "observed nothing") {
		t.Errorf("nothing observed: %q", v.Problem)
	}
}
