package harness

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"
)

func TestDeployStarted(t *testing.T) {
	cfg, err := LoadConfig(lookup(map[string]string{"SMOKE_TARGET": "live", "SMOKE_REQUIRE": "genesis", "SMOKE_A2A_URL": "http://127.0.0.1:8080"}))
	require.NoError(t, err)
	s, err := Attach(cfg)
	require.NoError(t, err)

	// No container known, no declaration: the log has no window.
	_, err = s.DeployStarted(context.Background(), Genesis)
	var unavailable *LogsUnavailableError
	require.True(t, errors.As(err, &unavailable), "%v", err)
	assert.Contains(t, unavailable.Reason, Env.Containers)

	// SMOKE_DEPLOY_STARTED.
	cfg, err = LoadConfig(lookup(map[string]string{"SMOKE_TARGET": "live", "SMOKE_REQUIRE": "genesis", "SMOKE_A2A_URL": "http://127.0.0.1:8080",
		"SMOKE_DEPLOY_STARTED": "2026-11-27T09:30:00Z"}))
	require.NoError(t, err)
	s, err = Attach(cfg)
	require.NoError(t, err)
	d, err := s.DeployStarted(context.Background(), Genesis)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC), d.At.UTC())
	assert.Contains(t, d.String(), "SMOKE_DEPLOY_STARTED=2026-11-27T09:30:00Z")
	assert.Equal(t, d.At, d.LogSince(), "a declared start is where the log is read from")
	// A container's own start reads its whole log: the engine stamps
	// StartedAt after the process already logged its first lines.
	assert.True(t, DeployStart{At: d.At, wholeLog: true}.LogSince().IsZero())

	// A declared start wins, and holds for every view of the stack.
	view := s.WithProfile(ProfileA2A, "declared")
	at := time.Now()
	s.MarkDeployStarted(at, "fault row x restored")
	for _, st := range []*Stack{s, view} {
		d, err := st.DeployStarted(context.Background(), Genesis)
		require.NoError(t, err)
		assert.True(t, d.At.Equal(at))
		assert.Contains(t, d.How, "fault row x restored")
	}
}

// A read-through mark belongs to one container of one stack, is shared by
// the stack's views, and is kept only for containers this run started.
func TestLogReadThrough(t *testing.T) {
	cfg, err := LoadConfig(lookup(nil))
	require.NoError(t, err)
	s := newStack(cfg)
	at := time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
	s.MarkLogReadThrough(Genesis, "reader", at)
	assert.True(t, s.LogReadThrough(Genesis, "reader").IsZero(), "no container of this run: no mark")

	s.containers[Genesis] = &testcontainers.DockerContainer{ID: "first"}
	s.MarkLogReadThrough(Genesis, "reader", at)
	assert.Equal(t, at, s.LogReadThrough(Genesis, "reader"))
	assert.True(t, s.LogReadThrough(Genesis, "another reader").IsZero(), "each reader its own mark")
	assert.True(t, s.LogReadThrough(Prometheus, "reader").IsZero(), "each component its own mark")
	assert.Equal(t, at, s.WithProfile(ProfileA2A, "a view").LogReadThrough(Genesis, "reader"), "views share the mark")

	s.containers[Genesis] = &testcontainers.DockerContainer{ID: "second"}
	assert.True(t, s.LogReadThrough(Genesis, "reader").IsZero(), "a replaced container's log is read from its first line")

	live, err := LoadConfig(lookup(map[string]string{"SMOKE_TARGET": "live", "SMOKE_REQUIRE": "genesis", "SMOKE_A2A_URL": "http://127.0.0.1:8080", "SMOKE_CONTAINERS": "genesis=genesis-1"}))
	require.NoError(t, err)
	l, err := Attach(live)
	require.NoError(t, err)
	l.MarkLogReadThrough(Genesis, "reader", at)
	assert.True(t, l.LogReadThrough(Genesis, "reader").IsZero(), "a container known by name (a redeploy reuses it) keeps no mark")
}
