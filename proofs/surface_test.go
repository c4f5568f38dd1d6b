package proofs

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/checks"
	"github.com/smokestack-dev/smokestack/harness"
)

// TestA2ASurfaceMatrix runs the rows of the real service's defects on a
// reference service that serves part A only (GENESIS_SURFACE=a2a, what the
// real service serves today), on a stack of its own: on the healthy target
// every part-A check passes and the others are NOT APPLICABLE by the
// discovered profile; under each knob its checks fail for the stated reason.
func TestA2ASurfaceMatrix(t *testing.T) {
	ephemeralOnly(t, "the a2a-surface matrix starts a stack of its own: ephemeral mode only (SMOKE_TARGET unset)")
	beside(t)
	// Two stacks share the rows, as the fault matrix's three do (Run).
	ctx, stacks := ownStacks(t, 2, 10*time.Minute, func(cfg *harness.Config) { cfg.GenesisSurface = harness.ProfileA2A })
	for _, s := range stacks {
		p, how := s.Profile()
		require.Equal(t, harness.ProfileA2A, p, "the a2a surface is discovered as profile a2a (%s)", how)
	}

	res := runMatrix(ctx, t, "a2a-surface matrix", stacks, nil, a2aSurfaceRows())
	for k, b := range res.Baselines {
		for id, v := range b {
			c, _ := checks.ByID(id)
			if c.Part == harness.PartB || c.Part == harness.PartC {
				require.Equal(t, checks.NotApplicable, v.Outcome, "%s on a2a-surface stack %d: %v", id, k+1, v.Err)
			}
		}
	}
}

// a2aSurfaceRows are the rows of the real service's defects, and the auth
// row, as the full-surface matrix has them.
func a2aSurfaceRows() []Fault {
	var rows []Fault
	for _, f := range Matrix() {
		if strings.HasPrefix(f.Name, "a2a_") || f.Name == "invoke_auth_off" {
			rows = append(rows, f)
		}
	}
	return rows
}
