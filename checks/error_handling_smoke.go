package checks

import (
	"context"
	"fmt"
	"slices"

	"github.com/smokestack-dev/smokestack/harness"
)

// ErrorHandlingSmoke is TestErrorHandlingSmoke: errors come back in the
// contract's envelope with the right category (the staging suite drills
// breakers, retries and degradation).
var ErrorHandlingSmoke = []Check{
	{Group: "TestErrorHandlingSmoke", Name: "error_envelope_category", Component: harness.Genesis, Part: harness.PartB, Line: lineErrors, Run: probed(errorEnvelopeCategory)},
}

// ErrorCategories are the contract's error categories.
var ErrorCategories = []string{"decomposition", "routing", "validation", "network", "resource", "llm", "security", "unknown"}

// categoryProbe is a request whose error category is known in advance.
type categoryProbe struct {
	what, request, code, category string
	status                        int
}

var categoryProbes = []categoryProbe{
	{what: "a too-short request", request: tooShortRequest, status: 400, code: "VALIDATION_ERROR", category: "validation"},
	{what: "a prompt injection", request: injectionRequest, status: 400, code: "SECURITY_ERROR", category: "security"},
}

func errorEnvelopeCategory(ctx context.Context, p probe) error {
	for _, c := range categoryProbes {
		want := fmt.Sprintf("for %s: status %d, error {code %s, message, request_id, timestamp, details.category %q}", c.what, c.status, c.code, c.category)
		rep, err := p.g.Decompose(ctx, harness.DecomposeRequest{UserRequest: c.request})
		if err != nil {
			return p.requestFailed(pathDecompose, want, err)
		}
		e := rep.Error
		got := fmt.Sprintf("status %d, error %s", rep.Resp.Status, showAPIError(e))
		if rep.Resp.Status != c.status || e == nil || e.Code != c.code || e.Message == "" || e.RequestID == "" || e.Timestamp == "" {
			return p.failBody(pathDecompose, want, got, rep.Resp)
		}
		if _, err := parseISO(e.Timestamp); err != nil {
			return p.failBody(pathDecompose, want, got+", timestamp not ISO-8601", rep.Resp)
		}
		if e.Category() != c.category {
			if !slices.Contains(ErrorCategories, e.Category()) {
				got += fmt.Sprintf(" (not one of the contract's categories %v)", ErrorCategories)
			}
			return p.failBody(pathDecompose, want, got, rep.Resp)
		}
		if rid := rep.Resp.Header.Get("X-Request-Id"); rid != "" && rid != e.RequestID {
			return p.failBody(pathDecompose, want, fmt.Sprintf("error.request_id %q differs from X-Request-Id %q", e.RequestID, rid), rep.Resp)
		}
	}
	return nil
}
