package checks

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/smokestack-dev/smokestack/harness"
)

func TestCyclePathJudgement(t *testing.T) {
	m := []string{"a", "b", "c"}
	assert.True(t, isCyclePath([]string{"b", "c", "a", "b"}, m))
	assert.False(t, isCyclePath([]string{"a", "b", "c"}, m), "not closed")
	assert.False(t, isCyclePath([]string{"a", "b", "a"}, m), "misses c")
	assert.False(t, isCyclePath(nil, m))
	assert.True(t, strings.Contains(strings.Join(judgeDecomposition(&harness.Decomposition{}), ";"), "no tasks"))
}
