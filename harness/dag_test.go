package harness

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFindCycle(t *testing.T) {
	assert.Equal(t, []string{"a", "b", "a"}, FindCycle([]string{"a", "b"}, map[string][]string{"a": {"b"}, "b": {"a"}}))
	assert.Nil(t, FindCycle([]string{"a", "b"}, map[string][]string{"b": {"a"}}))
}
