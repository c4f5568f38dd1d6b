package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// GenesisClient talks to the Genesis A2A service. Only the routes the suite
// checks are here; the contract is in the design notes (CONTRACT.md).
type GenesisClient struct{ Requester }

// Health is GET /health. Pointer fields tell "absent" from "zero": a health
// answer missing agents_registered is a defect, not 0 agents.
type Health struct {
	Status           string                     `json:"status"`
	AgentsRegistered *int                       `json:"agents_registered"`
	AgentsLoaded     *int                       `json:"agents_loaded"`
	LazyLoading      *bool                      `json:"lazy_loading"`
	Timestamp        string                     `json:"timestamp"`
	Components       map[string]ComponentHealth `json:"components,omitempty"`
}

// ComponentHealth is one entry of the optional health `components` object.
type ComponentHealth struct {
	Status string `json:"status"`
}

// Version is GET /a2a/version.
type Version struct {
	Name             string `json:"name"`
	Version          string `json:"version"`
	Framework        string `json:"framework"`
	AgentsRegistered *int   `json:"agents_registered"`
	AgentsLoaded     *int   `json:"agents_loaded"`
	LazyLoading      *bool  `json:"lazy_loading"`
	Status           string `json:"status"`
}

// Health reads /health. Any status is returned with the body decoded when
// it is JSON, because an unhealthy service answers 503 with a useful body.
func (g GenesisClient) Health(ctx context.Context) (*Health, *Response, error) {
	resp, err := g.Get(ctx, "/health")
	if err != nil {
		return nil, resp, err
	}
	var h Health
	if err := resp.DecodeJSON(&h); err != nil {
		return nil, resp, err
	}
	return &h, resp, nil
}

// Version reads /a2a/version.
func (g GenesisClient) Version(ctx context.Context) (*Version, *Response, error) {
	var v Version
	resp, err := g.GetJSON(ctx, "/a2a/version", http.StatusOK, &v)
	if err != nil {
		return nil, resp, err
	}
	return &v, resp, nil
}

// SetFaults replaces the reference service's active fault knobs (only a
// reference service started with GENESIS_FAULT_ADMIN=1 has this route).
// The empty spec clears every fault.
func (g GenesisClient) SetFaults(ctx context.Context, spec string) error {
	method, body := http.MethodPut, []byte(nil)
	if spec == "" {
		method = http.MethodDelete
	} else {
		b, err := json.Marshal(map[string]string{"faults": spec})
		if err != nil {
			return err
		}
		body = b
	}
	resp, err := g.Do(ctx, method, "/admin/faults", body, nil)
	if err != nil {
		return err
	}
	if resp.Status/100 != 2 {
		return resp.Fail("2xx from the fault admin endpoint (GENESIS_FAULT_ADMIN=1)", fmt.Errorf("faults %q not applied", spec))
	}
	return nil
}

// UnloadAgents puts the reference service's agents back to unloaded, as
// after a restart (fault admin only): a lazy service's loads can then be
// timed again.
func (g GenesisClient) UnloadAgents(ctx context.Context) error {
	resp, err := g.Do(ctx, http.MethodPost, "/admin/agents/unload", nil, nil)
	if err != nil {
		return err
	}
	if resp.Status/100 != 2 {
		return resp.Fail("2xx from the fault admin endpoint (GENESIS_FAULT_ADMIN=1)", errors.New("agents not unloaded"))
	}
	return nil
}
