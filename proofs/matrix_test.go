package proofs

import (
	"context"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/smokestack-dev/smokestack/checks"
	"github.com/smokestack-dev/smokestack/harness"
)

var stack *harness.Stack

func TestMain(m *testing.M) {
	// Shorter deadlines than a real run: faults that hang a component would
	// otherwise cost the default 5 s per request, many times over.
	// A health budget far under the HTTP deadline, so the health rows'
	// slow answers are slow, not lost.
	for k, v := range map[string]string{harness.Env.HTTPTimeout: "2s", harness.Env.CheckTimeout: "10s", harness.Env.HealthBudget: "300ms"} {
		if os.Getenv(k) == "" {
			os.Setenv(k, v)
		}
	}
	os.Exit(harness.Main(m, &stack))
}

// TestFaultMatrix proves every check can fail: under each fault its checks
// fail and every other check keeps its healthy verdict.
func TestFaultMatrix(t *testing.T) {
	if stack.Mode() != harness.Ephemeral {
		t.Skip("the fault matrix breaks the stack on purpose: it runs only on an ephemeral stack (SMOKE_TARGET unset)")
	}
	rows := Matrix()
	// PROOFS_ROWS (a regular expression over row names) runs a part of the
	// matrix while a row is being written; CI leaves it unset and runs all.
	if expr := os.Getenv("PROOFS_ROWS"); expr != "" {
		re, err := regexp.Compile(expr)
		if err != nil {
			t.Fatalf("PROOFS_ROWS: %v", err)
		}
		n := len(rows)
		rows = slices.DeleteFunc(rows, func(f Fault) bool { return !re.MatchString(f.Name) })
		t.Logf("PROOFS_ROWS=%s: %d of %d rows; this is not the whole matrix", expr, len(rows), n)
	}
	res := Run(context.Background(), stack, matrixChecks(), rows, t.Logf)
	var b strings.Builder
	res.WriteTable(&b)
	t.Logf("fault matrix:\n%s", b.String())
	for _, p := range res.Problems() {
		t.Error(p)
	}
}

// TestEveryCheckHasAFault refuses a check that no fault proves able to fail.
func TestEveryCheckHasAFault(t *testing.T) {
	proven := map[string]bool{}
	for _, f := range Matrix() {
		for _, id := range f.Fails {
			if _, ok := checks.ByID(id); !ok {
				t.Errorf("fault %s names unknown check %q", f.Name, id)
			}
			proven[id] = true
		}
	}
	for _, f := range StartupFaults() {
		for _, id := range slices.Concat(f.Fails, f.Passes) {
			if _, ok := checks.ByID(id); !ok {
				t.Errorf("start-up fault %s names unknown check %q", f.Name, id)
			}
		}
		for _, id := range f.Fails {
			proven[id] = true
		}
	}
	for _, f := range SuccessMetricFaults() {
		for _, id := range slices.Concat(f.Fails, f.NotJudged, f.Passes) {
			if _, ok := checks.ByID(id); !ok {
				t.Errorf("success-metric fault %s names unknown check %q", f.Name, id)
			}
		}
		for _, id := range f.Fails {
			proven[id] = true
		}
	}
	for _, n := range unknownAlsoFails(Matrix()) {
		t.Errorf("alsoFails names row %q, which the matrix does not have", n)
	}
	for _, c := range checks.All() {
		if !proven[c.ID()] {
			t.Errorf("%s has no fault that makes it fail: add a row to Matrix", c.ID())
		}
	}
}
