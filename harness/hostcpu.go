package harness

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// HostCPU is the CPU time of the machine the suite runs on, all CPUs
// summed, as Linux counts it in /proc/stat. Two readings say how busy the
// host was between them: a latency measured from a saturated host is the
// host's run queue as much as the target's (an ephemeral stack shares the
// host; a live target's answers wait for the suite's own turn on a CPU).
type HostCPU struct {
	Busy, Total uint64 // clock ticks
}

// hostStat is the file ReadHostCPU reads.
var hostStat = "/proc/stat"

// ReadHostCPU reads the host's CPU time. It fails where there is no
// /proc/stat (macOS, Windows): the caller has no reading then, not an idle
// host.
func ReadHostCPU() (HostCPU, error) {
	f, err := os.Open(hostStat)
	if err != nil {
		return HostCPU{}, fmt.Errorf("the host's CPU time: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || fields[0] != "cpu" {
			continue
		}
		// user nice system idle iowait irq softirq steal (guest time is
		// counted in user already).
		if len(fields) < 5 {
			return HostCPU{}, fmt.Errorf("the host's CPU time: %s: %q has too few fields", hostStat, sc.Text())
		}
		var h HostCPU
		for i, s := range fields[1:min(len(fields), 9)] {
			n, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return HostCPU{}, fmt.Errorf("the host's CPU time: %s: field %d of %q: %w", hostStat, i+1, sc.Text(), err)
			}
			h.Total += n
			if i != 3 && i != 4 { // idle, iowait
				h.Busy += n
			}
		}
		return h, nil
	}
	if err := sc.Err(); err != nil {
		return HostCPU{}, fmt.Errorf("the host's CPU time: %s: %w", hostStat, err)
	}
	return HostCPU{}, fmt.Errorf("the host's CPU time: %s has no cpu line", hostStat)
}

// BusySince is the share of the host's CPU time (0 to 1) that was busy
// from the earlier reading to h; false when no time passed between them.
func (h HostCPU) BusySince(earlier HostCPU) (float64, bool) {
	if h.Total <= earlier.Total || h.Busy < earlier.Busy {
		return 0, false
	}
	return min(1, float64(h.Busy-earlier.Busy)/float64(h.Total-earlier.Total)), true
}
