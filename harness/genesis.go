package harness

import (
	"context"
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

// Health reads /health. The body is decoded whatever the status, because
// an unhealthy service answers 503 with a useful body.
func (g GenesisClient) Health(ctx context.Context) (*Reply[Health], error) {
	return send[Health](ctx, g.Requester, call{method: http.MethodGet, path: "/health", shape: bare, decodeOn: anyStatus})
}

// Version reads /a2a/version; Done wants 200.
func (g GenesisClient) Version(ctx context.Context) (*Reply[Version], error) {
	return send[Version](ctx, g.Requester, call{method: http.MethodGet, path: "/a2a/version", shape: bare,
		decodeOn: onStatus(http.StatusOK), expect: wantStatus(http.StatusOK)})
}

// SetFaults replaces the reference service's active fault knobs (only a
// reference service started with GENESIS_FAULT_ADMIN=1 has this route).
// The empty spec clears every fault. Done wants a 2xx.
func (g GenesisClient) SetFaults(ctx context.Context, spec string) (*Reply[struct{}], error) {
	c := call{method: http.MethodPut, path: "/admin/faults", body: map[string]string{"faults": spec}, shape: ignored,
		expect: expectation{want: "2xx from the fault admin endpoint (GENESIS_FAULT_ADMIN=1)", cause: fmt.Errorf("faults %q not applied", spec)}}
	if spec == "" {
		c.method, c.body = http.MethodDelete, nil
	}
	return send[struct{}](ctx, g.Requester, c)
}

// UnloadAgents puts the reference service's agents back to unloaded, as
// after a restart (fault admin only): a lazy service's loads can then be
// timed again. Done wants a 2xx.
func (g GenesisClient) UnloadAgents(ctx context.Context) (*Reply[struct{}], error) {
	return send[struct{}](ctx, g.Requester, call{method: http.MethodPost, path: "/admin/agents/unload", shape: ignored,
		expect: expectation{want: "2xx from the fault admin endpoint (GENESIS_FAULT_ADMIN=1)", cause: errors.New("agents not unloaded")}})
}
