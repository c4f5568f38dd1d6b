package harness

import (
	"context"
	"net/http"
	"net/url"
)

// Flag is one feature flag as GET /flags reports it.
type Flag struct {
	Name              string   `json:"name,omitempty"`
	Enabled           *bool    `json:"enabled"`
	Strategy          string   `json:"strategy"`
	RolloutPercentage *float64 `json:"rollout_percentage"`
}

// FlagStrategies are the contract's rollout strategies.
var FlagStrategies = []string{"all_at_once", "percentage", "progressive", "canary"}

// Flags is GET /flags: every flag by name; Done wants 200. The
// contract's shape is an object of flags; it may come bare, under "flags",
// or in the data envelope.
func (g GenesisClient) Flags(ctx context.Context) (*Reply[map[string]Flag], error) {
	return send[map[string]Flag](ctx, g.Requester, call{method: http.MethodGet, path: "/flags", shape: lenient,
		nest: []string{"flags"}, decodeOn: onStatus(http.StatusOK),
		shapeWant: "an object of flags {name: {enabled, strategy, rollout_percentage}}",
		expect:    wantStatus(http.StatusOK)})
}

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

// Rollout is GET /flags/{name}/rollout (bare or in the data envelope). A
// non-200 answer is returned with Data nil for the caller to judge (404:
// an unknown flag, or a deployment without contract part C).
func (g GenesisClient) Rollout(ctx context.Context, name string) (*Reply[Rollout], error) {
	return send[Rollout](ctx, g.Requester, call{method: http.MethodGet, path: "/flags/" + url.PathEscape(name) + "/rollout",
		shape: lenient, decodeOn: onStatus(http.StatusOK), shapeWant: contractShape, expect: wantStatus(http.StatusOK)})
}

// SetFlag is PUT /flags/{name} {"enabled": enabled} with the admin key in
// X-Admin-Key. The flag as answered is decoded for a 2xx; any other status
// is returned with Data nil for the caller to judge.
func (g GenesisClient) SetFlag(ctx context.Context, name string, enabled bool, adminKey Secret) (*Reply[Flag], error) {
	h := http.Header{}
	if k := adminKey.Value(); k != "" {
		h.Set("X-Admin-Key", k)
	}
	return send[Flag](ctx, g.Requester, call{method: http.MethodPut, path: "/flags/" + url.PathEscape(name),
		body: map[string]bool{"enabled": enabled}, header: h, shape: lenient, shapeWant: contractShape})
}

// contractShape is what a lenient part C body that does not decode should
// have been.
const contractShape = "a JSON object in the contract's shape"
