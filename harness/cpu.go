package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/moby/moby/client"
)

// ContainersCPU is the CPU the stack's own containers used, by Docker's
// accounting: on the machine running the suite the host's CPU reading is
// mostly the suite's own work (compiling, other packages' stacks), and
// only this share is the deployment's.
type ContainersCPU struct {
	Percent float64       // of all the host's CPUs, since the first container started
	Over    time.Duration // since the first container started
	Count   int           // containers read
}

// ContainersCPUShare reads every container of this stack (those it started,
// or those SMOKE_CONTAINERS names) once, without waiting for a second
// sample: each container's CPU time since it started, summed, over the
// time since the first started times the host's CPUs.
func (s *Stack) ContainersCPUShare(ctx context.Context) (ContainersCPU, error) {
	ids := map[string]bool{}
	var genesis string
	s.mu.RLock()
	for c, ct := range s.containers {
		ids[ct.GetContainerID()] = true
		if c == Genesis {
			genesis = ct.GetContainerID()
		}
	}
	for c, n := range s.names {
		if _, started := s.containers[c]; !started { // the same container, by name
			ids[n] = true
			if c == Genesis {
				genesis = n
			}
		}
	}
	s.mu.RUnlock()
	// Without the service's own container the share would leave out the
	// deployment's main load and excuse a host it may be overloading.
	if genesis == "" {
		return ContainersCPU{}, fmt.Errorf("no %s container of this %s stack is known (%s), so its own CPU share cannot be read", Genesis.Title(), s.Mode(), Env.Containers)
	}
	cli, err := s.Docker()
	if err != nil {
		return ContainersCPU{}, err
	}
	sorted := make([]string, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	sort.Strings(sorted)
	// A busy engine must not eat the calling check's deadline: the caller
	// has other queries to make, and a fallback when this fails.
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	// All at once: the engine answers a stats call at its collector's next
	// tick (about a second), so one after another they took seconds.
	type reading struct {
		id      string
		running bool
		started time.Time
		used    float64
		cpus    int
		err     error
	}
	reads := make([]reading, len(sorted))
	var wg sync.WaitGroup
	for i, id := range sorted {
		wg.Go(func() {
			r := &reads[i]
			r.id = id
			st, err := InspectContainer(ctx, cli, id, 3*time.Second)
			if err != nil {
				r.err = err
				return
			}
			if r.running = st.Running; !r.running {
				return
			}
			if r.started, err = time.Parse(time.RFC3339Nano, st.StartedAt); err != nil {
				r.err = fmt.Errorf("container %s: start time %q: %w", st.Name, st.StartedAt, err)
				return
			}
			if r.used, r.cpus, err = containerCPUSeconds(ctx, cli, id); err != nil {
				r.err = fmt.Errorf("container %s: %w", st.Name, err)
			}
		})
	}
	wg.Wait()
	var out ContainersCPU
	var used float64 // CPU seconds
	var first time.Time
	cpus := 0
	for _, r := range reads {
		switch {
		case r.err != nil:
			return ContainersCPU{}, r.err
		case !r.running && r.id == genesis:
			return ContainersCPU{}, fmt.Errorf("the %s container is not running, so its own CPU share cannot be read", Genesis.Title())
		case !r.running:
			continue
		}
		used += r.used
		cpus = max(cpus, r.cpus)
		if first.IsZero() || r.started.Before(first) {
			first = r.started
		}
		out.Count++
	}
	if out.Count == 0 || cpus == 0 {
		return ContainersCPU{}, fmt.Errorf("no running container of this stack reports its CPU")
	}
	out.Over = time.Since(first)
	if out.Percent, err = cpuPercent(used, out.Over, cpus); err != nil {
		return ContainersCPU{}, err
	}
	return out, nil
}

// cpuPercent is CPU seconds used over a span, as a share of cpus CPUs. An
// empty span (an engine whose clock runs ahead of this machine's) says
// nothing: as 0 % it would excuse any host.
func cpuPercent(used float64, over time.Duration, cpus int) (float64, error) {
	if over <= 0 || cpus <= 0 {
		return 0, fmt.Errorf("no span to share CPU time over (%s since the first container started by this machine's clock, %d CPUs): the engine's clock may be ahead", over, cpus)
	}
	return min(100, 100*used/(over.Seconds()*float64(cpus))), nil
}

// containerCPUSeconds is one container's CPU time since it started and the
// CPUs it may use, from one stats sample.
func containerCPUSeconds(ctx context.Context, cli *client.Client, id string) (float64, int, error) {
	noteNetworkInput()
	res, err := cli.ContainerStats(ctx, id, client.ContainerStatsOptions{})
	if err != nil {
		return 0, 0, fmt.Errorf("stats: %w", err)
	}
	defer res.Body.Close()
	var st struct {
		CPU struct {
			Usage struct {
				Total uint64 `json:"total_usage"`
			} `json:"cpu_usage"`
			Online int `json:"online_cpus"`
		} `json:"cpu_stats"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&st); err != nil {
		return 0, 0, fmt.Errorf("stats: %w", err)
	}
	return float64(st.CPU.Usage.Total) / 1e9, st.CPU.Online, nil
}
