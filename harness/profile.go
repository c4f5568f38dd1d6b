package harness

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Part is a part of the Genesis contract (shared/design/CONTRACT.md): A is
// what the real service serves, B the orchestration routes its OpenAPI files
// specify, C what this project adds so components can be judged from outside.
type Part string

// The contract's parts. NoPart marks a check that reads no Genesis route.
const (
	NoPart Part = ""
	PartA  Part = "A"
	PartB  Part = "B"
	PartC  Part = "C"
)

// Profile is the surface a Genesis deployment serves: which contract parts.
// A check of a part outside the profile is not applicable; a check of a part
// inside it fails on a 404. A 404 is never read as "not served".
type Profile string

// The profiles, from the real service today (a2a) to the reference service (full).
const (
	ProfileA2A           Profile = "a2a"
	ProfileOrchestration Profile = "orchestration"
	ProfileFull          Profile = "full"
)

// Profiles lists the valid profiles in order of growing surface.
var Profiles = []Profile{ProfileA2A, ProfileOrchestration, ProfileFull}

// Serves reports whether a deployment of this profile serves the part.
func (p Profile) Serves(part Part) bool {
	switch part {
	case NoPart, PartA:
		return true
	case PartB:
		return p == ProfileOrchestration || p == ProfileFull
	case PartC:
		return p == ProfileFull
	}
	return false
}

// Valid reports whether p is one of Profiles.
func (p Profile) Valid() bool {
	return slices.Contains(Profiles, p)
}

// Parts names the parts the profile serves, for messages: "A+B".
func (p Profile) Parts() string {
	var out []string
	for _, part := range []Part{PartA, PartB, PartC} {
		if p.Serves(part) {
			out = append(out, string(part))
		}
	}
	return strings.Join(out, "+")
}

// surfaceProbe is the one request that tells whether a deployment serves a
// part, read-only and without side effects: B and C answer GET on routes
// they serve (405 for a POST-only route, 200 for /flags) and 404 otherwise.
type surfaceProbe struct {
	part   Part
	method string
	path   string
}

var surfaceProbes = []surfaceProbe{
	{PartA, http.MethodGet, "/a2a/version"},
	{PartB, http.MethodGet, "/orchestrate/decompose"},
	{PartC, http.MethodGet, "/flags"},
}

// DiscoverProfile probes each surface once and names the profile the
// answers show, with how it was found ("GET /a2a/version 200, GET
// /orchestrate/decompose 405, GET /flags 404"). A part is served unless it
// answers 404; a transport error leaves the profile undiscoverable.
func DiscoverProfile(ctx context.Context, g GenesisClient) (Profile, string, error) {
	served := map[Part]bool{}
	var seen []string
	for _, p := range surfaceProbes {
		resp, err := g.Do(ctx, p.method, p.path, nil, nil)
		if err != nil {
			return "", strings.Join(seen, ", "), err
		}
		seen = append(seen, fmt.Sprintf("%s %s %d", p.method, p.path, resp.Status))
		served[p.part] = resp.Status != http.StatusNotFound
	}
	how := strings.Join(seen, ", ")
	switch {
	case !served[PartA]:
		return "", how, fmt.Errorf("%s answers 404 for GET /a2a/version: this is not a Genesis A2A service (%s)", Genesis.Title(), how)
	case served[PartB] && served[PartC]:
		return ProfileFull, how, nil
	case served[PartB]:
		return ProfileOrchestration, how, nil
	case served[PartC]:
		return "", how, fmt.Errorf("the target serves contract part C without part B (%s): no profile fits; set %s", how, Env.Profile)
	}
	return ProfileA2A, how, nil
}
