package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
)

// This file holds what the staging flag and security checks need beyond
// genesis_api.go: a flag's rollout, the admin write of a flag, and the
// service's log (ephemeral stacks only).

// Rollout is GET /flags/{name}/rollout. Dates stay text: the check judges
// their format with the contract's words.
type Rollout struct {
	Name              string   `json:"name"`
	Enabled           *bool    `json:"enabled"`
	Strategy          string   `json:"strategy"`
	CurrentPercentage *float64 `json:"current_percentage"`
	Phase             string   `json:"phase"`
	StartDate         string   `json:"start_date"`
	EndDate           string   `json:"end_date"`
	InitialPercentage *float64 `json:"initial_percentage"`
	EndPercentage     *float64 `json:"end_percentage"`
}

// RolloutPhases are the contract's phases of a progressive rollout.
var RolloutPhases = []string{"not_started", "in_progress", "completed"}

// RolloutE is GET /flags/{name}/rollout (bare or in the data envelope). A
// non-200 answer is returned with the rollout nil for the caller to judge
// (404: an unknown flag, or a deployment without contract part C).
func (g GenesisClient) RolloutE(ctx context.Context, name string) (*Rollout, *Response, error) {
	resp, err := g.Get(ctx, "/flags/"+url.PathEscape(name)+"/rollout")
	if err != nil {
		return nil, resp, err
	}
	if resp.Status != http.StatusOK {
		return nil, resp, nil
	}
	var r Rollout
	if err := decodeMaybeEnveloped(resp, &r); err != nil {
		return nil, resp, err
	}
	return &r, resp, nil
}

// SetFlagE is PUT /flags/{name} {"enabled": enabled} with the admin key in
// X-Admin-Key. The flag as answered comes back for a 2xx; any other status
// is returned with the flag nil for the caller to judge.
func (g GenesisClient) SetFlagE(ctx context.Context, name string, enabled bool, adminKey Secret) (*Flag, *Response, error) {
	body, err := json.Marshal(map[string]bool{"enabled": enabled})
	if err != nil {
		return nil, nil, err
	}
	h := http.Header{}
	if k := adminKey.Value(); k != "" {
		h.Set("X-Admin-Key", k)
	}
	resp, err := g.Do(ctx, http.MethodPut, "/flags/"+url.PathEscape(name), body, h)
	if err != nil {
		return nil, resp, err
	}
	if resp.Status/100 != 2 {
		return nil, resp, nil
	}
	var f Flag
	if err := decodeMaybeEnveloped(resp, &f); err != nil {
		return nil, resp, err
	}
	return &f, resp, nil
}

// decodeMaybeEnveloped decodes a body that is the object itself or the
// object under "data".
func decodeMaybeEnveloped(resp *Response, out any) error {
	var probe map[string]json.RawMessage
	if err := resp.DecodeJSON(&probe); err != nil {
		return err
	}
	inner := resp.Body
	if v, ok := probe["data"]; ok && len(v) > 0 && v[0] == '{' {
		inner = v
	}
	if err := json.Unmarshal(inner, out); err != nil {
		return resp.Fail("a JSON object in the contract's shape", fmt.Errorf("decode: %w", err))
	}
	return nil
}

// LogsUnavailableError says why the stack cannot read a component's log
// (a live target, a component without a container). Checks that read logs
// where they can treat it as "not judged here", never as a failure.
type LogsUnavailableError struct{ Reason string }

func (e *LogsUnavailableError) Error() string { return e.Reason }

// maxLogBytes is how much of the end of a log LogsE keeps.
const maxLogBytes = 16 << 20

// LogsE returns the end of a component's container log (stdout and stderr,
// at most the last 16 MiB). On a live stack, or for a component without a
// container, it returns a *LogsUnavailableError saying why.
func (s *Stack) LogsE(ctx context.Context, c Component) ([]byte, error) {
	return s.LogsSinceE(ctx, c, time.Time{})
}

// LogsSinceE is LogsE for the lines the engine received at or after since
// (the zero time: all of them), so that a check reads what its own
// requests caused, not a whole run's log.
func (s *Stack) LogsSinceE(ctx context.Context, c Component, since time.Time) ([]byte, error) {
	// The container: one this run started, or (live) the one
	// SMOKE_CONTAINERS names for the component, on DOCKER_HOST's engine.
	var id string
	if ct, ok := s.Container(c); ok {
		id = ct.GetContainerID()
	} else if n := s.ContainerNames()[c]; n != "" {
		id = n
	} else {
		return nil, &LogsUnavailableError{Reason: fmt.Sprintf("the %s log cannot be read: no container of it is known on this %s target (set %s=%s=CONTAINER with DOCKER_HOST at its engine)",
			c.Title(), s.Mode(), Env.Containers, c)}
	}
	cli, err := s.Docker()
	if err != nil {
		return nil, fmt.Errorf("read the %s container log: %w", c.Title(), err)
	}
	opts := client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true}
	if !since.IsZero() {
		opts.Since = fmt.Sprintf("%d.%09d", since.Unix(), since.Nanosecond())
	}
	rc, err := cli.ContainerLogs(ctx, id, opts)
	if err != nil {
		return nil, fmt.Errorf("read the %s container log: %w", c.Title(), err)
	}
	defer rc.Close()
	// The stack's containers run without a TTY: the stream is multiplexed.
	pr, pw := io.Pipe()
	go func() {
		_, err := stdcopy.StdCopy(pw, pw, rc)
		pw.CloseWithError(err)
	}()
	defer pr.Close()
	b, err := readTail(pr, maxLogBytes)
	if err != nil {
		return nil, fmt.Errorf("read the %s container log: %w", c.Title(), err)
	}
	return b, nil
}

// readTail reads r to the end and keeps its last max bytes, from the start
// of a line.
func readTail(r io.Reader, max int) ([]byte, error) {
	var keep []byte
	cut := false
	buf := make([]byte, 64<<10)
	for {
		n, err := r.Read(buf)
		keep = append(keep, buf[:n]...)
		if len(keep) > 2*max {
			keep = append([]byte(nil), keep[len(keep)-max:]...)
			cut = true
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read log: %w", err)
		}
	}
	if len(keep) > max {
		keep = keep[len(keep)-max:]
		cut = true
	}
	if cut {
		if i := bytes.IndexByte(keep, '\n'); i >= 0 {
			keep = keep[i+1:]
		}
	}
	return keep, nil
}
