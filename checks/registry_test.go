package checks

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestStagingGroupsRegistered(t *testing.T) {
	for _, id := range []string{"TestErrorHandling/error_categorization", "TestErrorHandling/circuit_breaker", "TestErrorHandling/graceful_degradation",
		"TestErrorHandling/retry", "TestPerformanceBaseline/htdag_p95", "TestPerformanceBaseline/halo_p95", "TestPerformanceBaseline/aop_p95",
		"TestPerformanceBaseline/system_resources", "TestComponentIntegration/full_pipeline",
		"TestComponentIntegration/error_handling_integrated", "TestComponentIntegration/observability_integrated"} {
		c := check(t, id)
		assert.Equal(t, (strings.HasPrefix(id, "TestErrorHandling/") && id != "TestErrorHandling/error_categorization") || id == "TestComponentIntegration/full_pipeline", c.Mutates, id)
	}
}

func TestFlagsSecurityRegistered(t *testing.T) {
	for _, c := range flagsSecurityChecks() {
		_, ok := ByID(c.ID())
		assert.True(t, ok, "%s not in Groups", c.ID())
	}
}

// TestRegistryHasNoDuplicates: a check ID names one check, so a selector,
// a fault row's expectation and a report line each mean one thing; and a
// test function belongs to one suite (its -run selector is the same in both).
func TestRegistryHasNoDuplicates(t *testing.T) {
	assert.Empty(t, duplicates(Registry))
	a := Check{Group: "TestX", Name: "a"}
	assert.Equal(t, []string{"check TestX/a registered twice", "test function TestX in two suites"},
		duplicates([]Group{{Smoke, Normal, []Check{a}}, {Staging, Normal, []Check{a}}}), "the test can fail")
}

func duplicates(reg []Group) []string {
	var out []string
	ids := map[string]bool{}
	suites := map[string]Suite{}
	for _, g := range reg {
		for _, c := range g.Checks {
			if ids[c.ID()] {
				out = append(out, "check "+c.ID()+" registered twice")
			}
			ids[c.ID()] = true
			if s, ok := suites[c.Group]; ok && s != g.Suite {
				out = append(out, "test function "+c.Group+" in two suites")
			}
			suites[c.Group] = g.Suite
		}
	}
	return out
}
