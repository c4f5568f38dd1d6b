package proofs

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/moby/moby/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/harness"
)

// TestSweepRemovesOnlyWhatKilledRunsLeft: a network whose owner process is
// gone is removed; one of a live process, and one of a detached stack
// (smokestack up), stay. Without the reaper this is the only cleanup of a
// run killed by a signal.
func TestSweepRemovesOnlyWhatKilledRunsLeft(t *testing.T) {
	ephemeralOnly(t, "needs the Docker engine of an ephemeral stack")
	cli, err := stack.Docker()
	require.NoError(t, err)
	ctx := context.Background()
	host, _ := os.Hostname()
	mk := func(name, owner string) string {
		r, err := cli.NetworkCreate(ctx, name, client.NetworkCreateOptions{Labels: map[string]string{
			harness.LabelRun: name, harness.LabelOwnerPID: owner, harness.LabelOwnerHost: host}})
		require.NoError(t, err)
		t.Cleanup(func() { _, _ = cli.NetworkRemove(context.Background(), r.ID, client.NetworkRemoveOptions{}) })
		return r.ID
	}
	dead := mk("smokestack-sweep-dead", "999999999")
	alive := mk("smokestack-sweep-alive", strconv.Itoa(os.Getpid()))
	detached := mk("smokestack-sweep-detached", harness.DetachedOwner)

	_, err = harness.Sweep(ctx, cli)
	require.NoError(t, err)
	exists := func(id string) bool {
		_, err := cli.NetworkInspect(ctx, id, client.NetworkInspectOptions{})
		return err == nil
	}
	assert.False(t, exists(dead), "the network of a dead owner is swept")
	assert.True(t, exists(alive), "a running run's network stays")
	assert.True(t, exists(detached), "a detached stack stays until smokestack down")
}
