package harness

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// DeployStart is when the deploy under test started: where the checks that
// judge "the service's log since the deploy" (no ERROR line, every line
// structured) start reading, and how that time was established.
type DeployStart struct {
	At  time.Time
	How string // "the genesis container ... started", "SMOKE_DEPLOY_STARTED=...", "declared: ..."
	// wholeLog: the start is the container's own, so its whole log is the
	// deploy's. The engine stamps StartedAt after the process is running,
	// and on a loaded machine a service's first lines (an ERROR at
	// start-up) carry earlier timestamps: reading "since StartedAt" lost
	// them (a false pass seen under load).
	wholeLog bool
}

// LogSince is where a reader of the deploy's log starts: At, or the zero
// time (the whole log) when the deploy is the container's start.
func (d DeployStart) LogSince() time.Time {
	if d.wholeLog {
		return time.Time{}
	}
	return d.At
}

func (d DeployStart) String() string {
	return fmt.Sprintf("%s (%s)", d.At.UTC().Format(time.RFC3339), d.How)
}

// deployMark is a deploy start declared at run time (MarkDeployStarted). It
// is shared by every view of one stack (WithProfile), so a mark set on the
// stack holds for the views too.
type deployMark struct {
	mu  sync.Mutex
	at  time.Time
	how string
}

// MarkDeployStarted declares that a new deploy started at t, for the reason
// how: from now on the log checks read the log from t. The fault proofs call
// it after each row's restore (each row is a fresh deploy), so that the
// ERROR lines a fault made the service log on purpose, and the lines a fault
// left unstructured, do not stay in the window of every later row.
func (s *Stack) MarkDeployStarted(t time.Time, how string) {
	if s.deploy == nil {
		return // a Stack not made by Open, Start or Attach
	}
	s.deploy.mu.Lock()
	defer s.deploy.mu.Unlock()
	s.deploy.at, s.deploy.how = t, how
}

// logMarks are the points up to which checks that look at every line of
// a log (a key that must be in no line) have read it and found nothing,
// by container and reader. Shared by every view of one stack.
type logMarks struct {
	mu sync.Mutex
	at map[string]time.Time
}

// LogReadThrough says up to when a reader named key last read c's log
// through and found nothing there (MarkLogReadThrough); the zero time when
// it has not, or read another container of c (one since replaced), or c
// runs in a container this run did not start (a live target's, known by a
// name that a redeploy gives to a new container with a new log). A log
// only grows: lines older than the mark hold what they held when read, so
// such a reader reads on from the mark instead of from the first line
// every time, which in the fault matrix cost the engine a whole log (tens
// of megabytes, decoded and sent line by line) per evaluation.
func (s *Stack) LogReadThrough(c Component, key string) time.Time {
	ct, ok := s.Container(c)
	if s.readThrough == nil || !ok {
		return time.Time{}
	}
	id := ct.GetContainerID()
	s.readThrough.mu.Lock()
	defer s.readThrough.mu.Unlock()
	return s.readThrough.at[id+"\x00"+key]
}

// MarkLogReadThrough records that the reader named key read c's log from
// its first line, or from its last mark, up to t and found nothing. Call
// it only after a read that ended at the log's end with nothing found, with
// t at least EngineClockMargin before that read began (the engine stamps
// lines by its own clock): a mark past a line not read would hide it from
// every later read. Only a
// container this run started keeps a mark (see LogReadThrough).
func (s *Stack) MarkLogReadThrough(c Component, key string, t time.Time) {
	ct, ok := s.Container(c)
	if s.readThrough == nil || !ok {
		return
	}
	id := ct.GetContainerID()
	s.readThrough.mu.Lock()
	defer s.readThrough.mu.Unlock()
	s.readThrough.at[id+"\x00"+key] = t
}

// DeployStarted says when the deploy under test started, in this order:
// a start declared at run time (MarkDeployStarted); SMOKE_DEPLOY_STARTED;
// the start of the component's container (ephemeral: when this run started
// it; live: the container SMOKE_CONTAINERS names, on DOCKER_HOST's engine).
// Without any of them it returns a *LogsUnavailableError, like the log
// readers: there is no log to window.
func (s *Stack) DeployStarted(ctx context.Context, c Component) (DeployStart, error) {
	var at time.Time
	var how string
	if s.deploy != nil {
		s.deploy.mu.Lock()
		at, how = s.deploy.at, s.deploy.how
		s.deploy.mu.Unlock()
	}
	if !at.IsZero() {
		return DeployStart{At: at, How: "declared: " + how}, nil
	}
	if t := s.cfg.DeployStarted; !t.IsZero() {
		return DeployStart{At: t, How: Env.DeployStarted + "=" + t.Format(time.RFC3339)}, nil
	}
	id, err := s.containerID(c)
	if err != nil {
		return DeployStart{}, err
	}
	cli, err := s.Docker()
	if err != nil {
		return DeployStart{}, fmt.Errorf("when did the %s container start: %w", c.Title(), err)
	}
	st, err := InspectContainer(ctx, cli, id, s.cfg.Timeouts.HTTP)
	if err != nil {
		return DeployStart{}, fmt.Errorf("when did the %s container start: %w", c.Title(), err)
	}
	t, err := time.Parse(time.RFC3339Nano, st.StartedAt)
	if err != nil || t.IsZero() || t.Year() < 2000 {
		return DeployStart{}, fmt.Errorf("when did the %s container start: container %s reports StartedAt %q", c.Title(), st.Name, st.StartedAt)
	}
	return DeployStart{At: t, wholeLog: true,
		How: fmt.Sprintf("the %s container %s started, its whole log read; set %s to read from another deploy start", c.Title(), st.Name, Env.DeployStarted)}, nil
}

// containerID is containerRef for the log readers: a component without a
// known container is a *LogsUnavailableError, which their callers handle.
func (s *Stack) containerID(c Component) (string, error) {
	id, err := s.containerRef(c)
	if err != nil {
		return "", &LogsUnavailableError{Reason: "the " + c.Title() + " log cannot be read: no container of it " + s.unknownContainer(c)}
	}
	return id, nil
}
