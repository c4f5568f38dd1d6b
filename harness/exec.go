package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
)

// NoContainerError says the suite knows no container of a component, so
// nothing can run inside it (a live target without SMOKE_CONTAINERS, a
// component that is an imitation). Checks treat it as "not judged here".
type NoContainerError struct{ Reason string }

func (e *NoContainerError) Error() string { return e.Reason }

// ToolMissingError says the command does not exist in the container (an
// image without promtool): the container cannot judge, it is not broken.
type ToolMissingError struct {
	Container, Tool, Output string
}

func (e *ToolMissingError) Error() string {
	return fmt.Sprintf("container %s has no %s: %s", e.Container, e.Tool, e.Output)
}

// ExecResult is what one command run inside a container returned.
type ExecResult struct {
	Container string // the container's name or ID, for messages
	Cmd       []string
	ExitCode  int
	Output    string // stdout and stderr, interleaved as written, capped
}

// maxExecOutput caps what Exec keeps of a command's output.
const maxExecOutput = 1 << 20

// execTimeout bounds one command when ctx allows longer.
const execTimeout = 20 * time.Second

// containerRef is the container of a component: one this run started, or
// (live) the one SMOKE_CONTAINERS names.
func (s *Stack) containerRef(c Component) (string, error) {
	if ct, ok := s.Container(c); ok {
		return ct.GetContainerID(), nil
	}
	if n := s.ContainerNames()[c]; n != "" {
		return n, nil
	}
	return "", &NoContainerError{Reason: "no container of " + c.Title() + " " + s.unknownContainer(c)}
}

// unknownContainer ends the message that no container of c is known, with
// how a live target names one, alike for every caller that needs one.
func (s *Stack) unknownContainer(c Component) string {
	return fmt.Sprintf("is known on this %s target (set %s=%s=CONTAINER with DOCKER_HOST at its engine)", s.Mode(), Env.Containers, c)
}

// ContainerName is how messages name the component's container.
func (s *Stack) ContainerName(c Component) string {
	if n := s.ContainerNames()[c]; n != "" {
		return n
	}
	if ct, ok := s.Container(c); ok {
		return ct.GetContainerID()[:12]
	}
	return ""
}

// Exec runs cmd inside the component's container (read-only tools such
// as promtool and amtool: nothing the target serves changes) and returns
// its exit code and output. A non-zero exit is not an error: the caller
// judges it. Errors are: no container known (*NoContainerError), the
// command missing from the image (*ToolMissingError), or the engine
// refusing (a stopped or paused container).
func (s *Stack) Exec(ctx context.Context, c Component, cmd ...string) (ExecResult, error) {
	res := ExecResult{Container: s.ContainerName(c), Cmd: cmd}
	ref, err := s.containerRef(c)
	if err != nil {
		return res, err
	}
	cli, err := s.Docker()
	if err != nil {
		return res, err
	}
	noteNetworkInput()
	ctx, cancel := context.WithTimeout(ctx, execTimeout)
	defer cancel()
	created, err := cli.ExecCreate(ctx, ref, client.ExecCreateOptions{Cmd: cmd, AttachStdout: true, AttachStderr: true})
	if err != nil {
		return res, fmt.Errorf("run %s in the %s container %s on %s: %w", strings.Join(cmd, " "), c.Title(), res.Container, DockerHost(), err)
	}
	att, err := cli.ExecAttach(ctx, created.ID, client.ExecAttachOptions{})
	if err != nil {
		return res, fmt.Errorf("run %s in the %s container %s: attach: %w", strings.Join(cmd, " "), c.Title(), res.Container, err)
	}
	defer att.Close()
	var out bytes.Buffer
	w := &capWriter{buf: &out, max: maxExecOutput}
	copied := make(chan error, 1)
	go func() {
		_, err := stdcopy.StdCopy(w, w, att.Reader)
		copied <- err
	}()
	select {
	case err := <-copied:
		if err != nil && !errors.Is(err, io.EOF) {
			return res, fmt.Errorf("run %s in the %s container %s: read output: %w", strings.Join(cmd, " "), c.Title(), res.Container, err)
		}
	case <-ctx.Done():
		return res, fmt.Errorf("run %s in the %s container %s: %w", strings.Join(cmd, " "), c.Title(), res.Container, ctx.Err())
	}
	res.Output = strings.TrimSpace(out.String())
	// The engine marks the process ended a moment after the stream closes.
	for {
		st, err := cli.ExecInspect(ctx, created.ID, client.ExecInspectOptions{})
		if err != nil {
			return res, fmt.Errorf("run %s in the %s container %s: inspect: %w", strings.Join(cmd, " "), c.Title(), res.Container, err)
		}
		if !st.Running {
			res.ExitCode = st.ExitCode
			break
		}
		select {
		case <-ctx.Done():
			return res, fmt.Errorf("run %s in the %s container %s: %w", strings.Join(cmd, " "), c.Title(), res.Container, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	if (res.ExitCode == 126 || res.ExitCode == 127) && toolMissing(res.Output) {
		return res, &ToolMissingError{Container: res.Container, Tool: cmd[0], Output: res.Output}
	}
	return res, nil
}

// toolMissing recognises the runtime's answer to a command that is not in
// the image.
func toolMissing(out string) bool {
	o := strings.ToLower(out)
	return strings.Contains(o, "executable file not found") || strings.Contains(o, "no such file or directory")
}

// ContainerCommand is the command the component's container runs (its
// entrypoint path and arguments, from docker inspect) and its working
// directory: where a process's flags, such as --config.file, are read.
func (s *Stack) ContainerCommand(ctx context.Context, c Component) (cmd []string, workdir string, err error) {
	ref, err := s.containerRef(c)
	if err != nil {
		return nil, "", err
	}
	cli, err := s.Docker()
	if err != nil {
		return nil, "", err
	}
	noteNetworkInput()
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeouts.HTTP)
	defer cancel()
	res, err := cli.ContainerInspect(ctx, ref, client.ContainerInspectOptions{})
	if err != nil {
		return nil, "", fmt.Errorf("inspect the %s container %s on %s: %w", c.Title(), s.ContainerName(c), DockerHost(), err)
	}
	ct := res.Container
	cmd = append([]string{ct.Path}, ct.Args...)
	if ct.Config != nil {
		workdir = ct.Config.WorkingDir
	}
	return cmd, workdir, nil
}

// capWriter keeps the first max bytes written to it and drops the rest.
type capWriter struct {
	buf *bytes.Buffer
	max int
}

func (w *capWriter) Write(p []byte) (int, error) {
	if room := w.max - w.buf.Len(); room > 0 {
		w.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}
