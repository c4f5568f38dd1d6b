package harness

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStartWithoutEngine: no engine in ephemeral mode stops at once with
// one message that says what to do — not a timeout, not a skip.
func TestStartWithoutEngine(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	cfg, err := LoadConfig(lookup(nil))
	require.NoError(t, err)
	start := time.Now()
	s, err := Start(context.Background(), cfg)
	require.NotNil(t, s, "Start returns the stack even on error")
	require.ErrorIs(t, err, ErrNoEngine)
	assert.Less(t, time.Since(start), 15*time.Second)
	for _, w := range []string{"DOCKER_HOST", "SMOKE_TARGET=live", "/nonexistent/docker.sock"} {
		assert.Contains(t, err.Error(), w)
	}
	assert.NoError(t, s.Close(context.Background()))
}
