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
