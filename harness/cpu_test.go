package harness

import (
	"testing"
	"time"
)

func TestCPUPercent(t *testing.T) {
	for _, c := range []struct {
		used float64
		over time.Duration
		cpus int
		want float64
	}{
		{used: 10, over: 10 * time.Second, cpus: 2, want: 50},  // one CPU of two, all along
		{used: 20, over: 10 * time.Second, cpus: 2, want: 100}, // both
		{used: 30, over: 10 * time.Second, cpus: 2, want: 100}, // clock skew: never above 100
		{used: 1, over: 0, cpus: 2, want: 0},
		{used: 1, over: time.Second, cpus: 0, want: 0},
	} {
		if got := cpuPercent(c.used, c.over, c.cpus); got != c.want {
			t.Errorf("cpuPercent(%g, %s, %d) = %g, want %g", c.used, c.over, c.cpus, got, c.want)
		}
	}
}
