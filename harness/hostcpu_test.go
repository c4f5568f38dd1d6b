package harness

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadHostCPU(t *testing.T) {
	stat := func(text string) {
		t.Helper()
		p := filepath.Join(t.TempDir(), "stat")
		require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
		old := hostStat
		hostStat = p
		t.Cleanup(func() { hostStat = old })
	}
	// user nice system idle iowait irq softirq steal guest guest_nice:
	// busy is everything but idle and iowait; guest is already in user.
	stat("cpu  100 10 50 800 40 5 3 2 70 0\ncpu0 50 5 25 400 20 2 1 1 35 0\nintr 1\n")
	a, err := ReadHostCPU()
	require.NoError(t, err)
	assert.Equal(t, HostCPU{Busy: 170, Total: 1010}, a)

	stat("cpu  190 10 60 810 40 5 3 2 150 0\n")
	b, err := ReadHostCPU()
	require.NoError(t, err)
	busy, ok := b.BusySince(a)
	require.True(t, ok)
	assert.InDelta(t, 100.0/110, busy, 1e-9, "100 busy ticks of 110")

	_, ok = a.BusySince(a)
	assert.False(t, ok, "no time between two readings is no reading")
	_, ok = a.BusySince(b)
	assert.False(t, ok, "readings the wrong way round")

	for _, bad := range []string{"intr 1\n", "cpu  1 2 3\n", "cpu  1 x 3 4 5\n"} {
		stat(bad)
		_, err := ReadHostCPU()
		assert.Error(t, err, "%q", bad)
	}
	stat("")
	hostStat = filepath.Join(t.TempDir(), "none")
	_, err = ReadHostCPU()
	assert.Error(t, err, "no /proc/stat is no reading, not an idle host")
}

// TestReadHostCPUHere reads this machine's own counters where Linux has
// them: they only grow.
func TestReadHostCPUHere(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("NOT APPLICABLE: /proc/stat is Linux's")
	}
	a, err := ReadHostCPU()
	require.NoError(t, err)
	require.Positive(t, a.Total)
	assert.LessOrEqual(t, a.Busy, a.Total)
}
