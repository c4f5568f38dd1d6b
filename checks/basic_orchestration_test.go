package checks

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOrchestrationRunIsAMutation: a live target that does not allow
// mutation is not made to execute a plan; the flow judges the rest.
func TestOrchestrationRunIsAMutation(t *testing.T) {
	g := newGenesisImitation()
	ran := false
	run := g.route("POST /orchestrate/run")
	g.routes["POST /orchestrate/run"] = func(w http.ResponseWriter, r *http.Request) { ran = true; run(w, r) }
	s := imitateGenesis(t, g, nil)
	v := Evaluate(context.Background(), s, check(t, "TestBasicOrchestration/orchestration_run"))
	require.Equal(t, NotJudged, v.Outcome, "%v", v.Err)
	assert.Contains(t, v.Err.Error(), "SMOKE_ALLOW_MUTATION=1")
	v = Evaluate(context.Background(), s, check(t, "TestBasicOrchestration/simple_orchestration_flow"))
	requirePass(t, v)
	assert.False(t, ran, "the run route was called on a read-only live target")
}
