package checks

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/harness"
)

func TestLogsCleanWithoutLogs(t *testing.T) {
	v := Evaluate(context.Background(), imitateGenesis(t, &loadingGenesis{loaded: map[string]bool{}}, map[string]string{harness.Env.APIKey: "k-0123456789abcdef"}),
		check(t, "TestSecurityControls/logs_clean"))
	require.Equal(t, NotJudged, v.Outcome, "%v", v.Err)
	assert.Contains(t, v.Err.Error(), "the service's log cannot be read")
	assert.Contains(t, v.Err.Error(), harness.Env.Containers, "the reason names the variable that would make it judged")
	assert.NotContains(t, v.Err.Error(), "k-012345", "no key, nor a prefix of one, is printed")
}

func TestLogKeyPrefix(t *testing.T) {
	assert.Equal(t, "abcd1234", logKey{value: "abcd1234efgh"}.prefix())
	assert.Equal(t, "short", logKey{value: "short"}.prefix(), "a key shorter than the prefix is looked for whole")
}

// TestWrongKeyCannotHideInHexIDs holds the false alarm CI saw: the prefix of
// a hex wrong key found inside a random trace id of the service's log.
func TestWrongKeyCannotHideInHexIDs(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		k := wrongKey()
		require.Len(t, k, 32)
		require.False(t, seen[k], "a fresh key each time")
		seen[k] = true
		for _, c := range k {
			require.NotContains(t, "0123456789abcdefABCDEF", string(c), "%q holds a hex digit", k)
		}
	}
}
