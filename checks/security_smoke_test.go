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
	assert.Equal(t, []string{"a", "b", "a"}, findCycle([]string{"a", "b"}, map[string][]string{"a": {"b"}, "b": {"a"}}))
	assert.Nil(t, findCycle([]string{"a", "b"}, map[string][]string{"b": {"a"}}))
	assert.True(t, strings.Contains(strings.Join(judgeDecomposition(&harness.Decomposition{}), ";"), "no tasks"))
}
