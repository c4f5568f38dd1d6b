package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/client"
)

// ContainerState is what the containers check needs from `docker inspect`.
type ContainerState struct {
	Name       string
	Status     string // created, running, paused, restarting, exited, dead
	Running    bool
	Paused     bool
	Restarting bool
	Health     string // "" when the image declares no health check
	ExitCode   int
	StartedAt  string
}

// Up is the checklist's "Up" status: running, not paused or restarting, and
// healthy when the image declares a health check.
func (s ContainerState) Up() bool {
	return s.Running && !s.Paused && !s.Restarting && (s.Health == "" || s.Health == "healthy")
}

func (s ContainerState) String() string {
	h := ""
	if s.Health != "" {
		h = ", health " + s.Health
	}
	return fmt.Sprintf("%s (exit code %d%s)", s.Status, s.ExitCode, h)
}

// DockerClient opens a client for the engine named by DOCKER_HOST (or the
// default socket); the client negotiates the API version, so old engines work.
func DockerClient() (*client.Client, error) {
	return client.New(client.FromEnv)
}

// DockerHost names the engine DockerClient talks to, for messages.
func DockerHost() string {
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		return h
	}
	return client.DefaultDockerHost
}

// EngineClockMargin is how far before the suite's own clock a read that
// must miss no line of a container log starts (and how far before a read
// a log mark is set): the engine stamps each line with its own clock, and
// even an engine behind a local socket may keep another one (Docker
// Desktop's virtual machine, whose clock drifts after the host sleeps). A
// read that started too late would skip lines, and a leak in them would
// read as a pass.
const EngineClockMargin = time.Minute

// PingDocker checks that an engine answers within timeout.
func PingDocker(ctx context.Context, cli *client.Client, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := cli.Ping(ctx, client.PingOptions{}); err != nil {
		return fmt.Errorf("no Docker engine answers at %s: %w", DockerHost(), err)
	}
	return nil
}

// ErrNoSuchContainer says the engine has no container by that name.
var ErrNoSuchContainer = errors.New("no such container")

// InspectContainer reads one container's state by name or ID.
func InspectContainer(ctx context.Context, cli *client.Client, name string, timeout time.Duration) (ContainerState, error) {
	noteNetworkInput()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := cli.ContainerInspect(ctx, name, client.ContainerInspectOptions{})
	if err != nil {
		if strings.Contains(strings.ToLower(err.Error()), "no such container") {
			return ContainerState{Name: name}, fmt.Errorf("%w %q on %s", ErrNoSuchContainer, name, DockerHost())
		}
		return ContainerState{Name: name}, fmt.Errorf("inspect container %q on %s: %w", name, DockerHost(), err)
	}
	c := res.Container
	st := ContainerState{Name: strings.TrimPrefix(c.Name, "/")}
	if c.State != nil {
		st.Status = string(c.State.Status)
		st.Running = c.State.Running
		st.Paused = c.State.Paused
		st.Restarting = c.State.Restarting
		st.ExitCode = c.State.ExitCode
		st.StartedAt = c.State.StartedAt
		if c.State.Health != nil {
			st.Health = string(c.State.Health.Status)
		}
	}
	return st, nil
}

// Labels every container and network this harness creates carries, beside
// testcontainers' own. Owner pid and host let a sweep remove what a killed
// run left without touching a run that is still going.
const (
	LabelRun       = "dev.smokestack.run"
	LabelComponent = "dev.smokestack.component"
	LabelOwnerPID  = "dev.smokestack.pid"
	LabelOwnerHost = "dev.smokestack.host"
)

// DetachedOwner as the owner pid marks a stack started to outlive its
// command (smokestack up): only an explicit down removes it.
const DetachedOwner = "detached"

// Sweep removes containers and networks of earlier runs on this host whose
// owning process is gone. It returns how many containers it removed.
func Sweep(ctx context.Context, cli *client.Client) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	host, _ := os.Hostname()
	list, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true,
		Filters: make(client.Filters).Add("label", LabelRun)})
	if err != nil {
		return 0, fmt.Errorf("sweep: list containers: %w", err)
	}
	stale := map[string]bool{}
	removed := 0
	var errs []error
	for _, c := range list.Items {
		if !ownerGone(c.Labels, host) {
			continue
		}
		stale[c.Labels[LabelRun]] = true
		if _, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
			errs = append(errs, err)
			continue
		}
		removed++
	}
	nets, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: make(client.Filters).Add("label", LabelRun)})
	if err != nil {
		return removed, errors.Join(append(errs, fmt.Errorf("sweep: list networks: %w", err))...)
	}
	for _, n := range nets.Items {
		if ownerGone(n.Labels, host) {
			if _, err := cli.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return removed, errors.Join(errs...)
}

func ownerGone(labels map[string]string, host string) bool {
	if labels[LabelOwnerHost] != host || labels[LabelOwnerPID] == DetachedOwner {
		return false
	}
	pid, err := strconv.Atoi(labels[LabelOwnerPID])
	if err != nil {
		return true
	}
	_, err = os.Stat("/proc/" + strconv.Itoa(pid))
	return err != nil
}

// RemoveRun removes every container and network of one run (a detached
// stack that `smokestack down` takes away).
func RemoveRun(ctx context.Context, cli *client.Client, runID string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	f := make(client.Filters).Add("label", LabelRun+"="+runID)
	list, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return 0, fmt.Errorf("list containers of run %s: %w", runID, err)
	}
	var errs []error
	n := 0
	for _, c := range list.Items {
		if _, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	nets, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		return n, errors.Join(append(errs, err)...)
	}
	for _, nw := range nets.Items {
		if _, err := cli.NetworkRemove(ctx, nw.ID, client.NetworkRemoveOptions{}); err != nil {
			errs = append(errs, err)
		}
	}
	return n, errors.Join(errs...)
}
