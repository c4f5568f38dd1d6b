package harness

import (
	"context"
	"strings"
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
		{used: 30, over: 10 * time.Second, cpus: 2, want: 100}, // rounding of the clocks: never above 100
	} {
		if got, err := cpuPercent(c.used, c.over, c.cpus); err != nil || got != c.want {
			t.Errorf("cpuPercent(%g, %s, %d) = %g, %v; want %g", c.used, c.over, c.cpus, got, err, c.want)
		}
	}
	// No span is no reading: as 0 % it would excuse a busy host.
	for _, c := range []struct {
		over time.Duration
		cpus int
	}{{0, 2}, {-time.Second, 2}, {time.Second, 0}} {
		if got, err := cpuPercent(1, c.over, c.cpus); err == nil {
			t.Errorf("cpuPercent(1, %s, %d) = %g, want an error", c.over, c.cpus, got)
		}
	}
}

// TestContainersCPUShareNeedsTheService: a stack whose service container is
// not known cannot say the deployment's share (it would under-count it).
func TestContainersCPUShareNeedsTheService(t *testing.T) {
	s := &Stack{names: map[Component]string{Prometheus: "some-prometheus"}}
	_, err := s.ContainersCPUShare(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no "+Genesis.Title()+" container") {
		t.Fatalf("want an error naming the missing service container, got %v", err)
	}
}
