package harness

import (
	"context"
	"encoding/json"
	"fmt"
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

// Flags is GET /flags: every flag by name. The contract's shape is an
// object of flags; it may come bare, under "flags", or in the data envelope.
func (g GenesisClient) Flags(ctx context.Context) (map[string]Flag, *Response, error) {
	resp, err := g.Get(ctx, "/flags")
	if err != nil {
		return nil, resp, err
	}
	if resp.Status != http.StatusOK {
		return nil, resp, resp.Fail("status 200", nil)
	}
	var probe map[string]json.RawMessage
	if err := resp.DecodeJSON(&probe); err != nil {
		return nil, resp, err
	}
	inner := resp.Body
	for _, k := range []string{"data", "flags"} {
		if v, ok := probe[k]; ok && len(v) > 0 && v[0] == '{' {
			inner = v
			var again map[string]json.RawMessage
			if json.Unmarshal(v, &again) == nil {
				if f, ok := again["flags"]; ok && len(f) > 0 && f[0] == '{' {
					inner = f
				}
			}
			break
		}
	}
	var flags map[string]Flag
	if err := json.Unmarshal(inner, &flags); err != nil {
		return nil, resp, resp.Fail("an object of flags {name: {enabled, strategy, rollout_percentage}}", fmt.Errorf("decode: %w", err))
	}
	return flags, resp, nil
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
// non-200 answer is returned with the rollout nil for the caller to judge
// (404: an unknown flag, or a deployment without contract part C).
func (g GenesisClient) Rollout(ctx context.Context, name string) (*Rollout, *Response, error) {
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

// SetFlag is PUT /flags/{name} {"enabled": enabled} with the admin key in
// X-Admin-Key. The flag as answered comes back for a 2xx; any other status
// is returned with the flag nil for the caller to judge.
func (g GenesisClient) SetFlag(ctx context.Context, name string, enabled bool, adminKey Secret) (*Flag, *Response, error) {
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
