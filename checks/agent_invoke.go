package checks

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/smokestack-dev/smokestack/harness"
)

// AgentInvoke is TestAgentInvoke: POST /a2a/invoke answers a harmless call,
// refuses what it must, and in production enforces the API key.
var AgentInvoke = []Check{
	{Group: "TestAgentInvoke", Name: "harmless_invoke", Component: harness.Genesis, Part: harness.PartA, Line: lineInvoke, Run: probed(harmlessInvoke)},
	{Group: "TestAgentInvoke", Name: "unknown_tool_404", Component: harness.Genesis, Part: harness.PartA, Line: lineInvoke, Run: probed(unknownTool404)},
	{Group: "TestAgentInvoke", Name: "malformed_body_422", Component: harness.Genesis, Part: harness.PartA, Line: lineInvoke, Run: probed(malformedBody422)},
	{Group: "TestAgentInvoke", Name: "missing_key_401", Component: harness.Genesis, Part: harness.PartA, Line: lineInvoke, Run: missingKey401},
	{Group: "TestAgentInvoke", Name: "wrong_key_403", Component: harness.Genesis, Part: harness.PartA, Line: lineInvoke, Run: wrongKey403},
	{Group: "TestAgentInvoke", Name: "auth_enforced_when_keyed", Component: harness.Genesis, Part: harness.PartA, Line: lineA2AContract, Run: probed(authEnforcedWhenKeyed)},
	{Group: "TestAgentInvoke", Name: "error_bodies_clean", Component: harness.Genesis, Part: harness.PartA, Line: lineA2AContract, Run: probed(errorBodiesClean)},
}

const pathInvoke = "/a2a/invoke"

// HarmlessInvoke is the call the invoke checks make: the infrastructure
// tool that extracts an intent from a command (its argument is `command`,
// as the real service defines it). It loads no agent, changes nothing and
// costs nothing on any deployment.
var HarmlessInvoke = harness.InvokeRequest{
	Tool:      "extract_intent",
	Arguments: map[string]any{"command": "Build a simple landing page with a signup form"},
}

func harmlessInvoke(ctx context.Context, p probe) error {
	want := fmt.Sprintf(`status 200 with a "result" for tool %q`, HarmlessInvoke.Tool)
	invRep, err := p.g.Invoke(ctx, HarmlessInvoke)
	if err != nil {
		return p.requestFailed(pathInvoke, want, err)
	}
	inv, resp := invRep.Data, invRep.Resp
	if resp.Status != http.StatusOK {
		return p.failBody(pathInvoke, want, fmt.Sprintf("status %d", resp.Status), resp)
	}
	if r := strings.TrimSpace(string(inv.Result)); r == "" || r == "null" {
		return p.failBody(pathInvoke, want, "no result", resp)
	}
	return nil
}

func unknownTool404(ctx context.Context, p probe) error {
	want := "status 404 with a detail for an unknown tool"
	// A bare unknown tool name: "agent.unknown" would make a lazily loading
	// service load that agent first, a change a read-only run must not make.
	for _, tool := range []string{"smokestack_no_such_tool"} {
		respRep, err := p.g.Invoke(ctx, harness.InvokeRequest{Tool: tool, Arguments: map[string]any{}})
		if err != nil {
			return p.requestFailed(pathInvoke, want, err)
		}
		resp := respRep.Resp
		if resp.Status != http.StatusNotFound {
			return p.failBody(pathInvoke, want, fmt.Sprintf("status %d for tool %q", resp.Status, tool), resp)
		}
		if _, ok := harness.DecodeDetail(resp); !ok {
			return p.failBody(pathInvoke, want, fmt.Sprintf("404 without a detail for tool %q", tool), resp)
		}
	}
	return nil
}

func malformedBody422(ctx context.Context, p probe) error {
	want := "status 422 for a body that is not an invoke request"
	for _, body := range []string{`{"tool": `, `{"arguments": {}}`, `{"tool": 42, "arguments": []}`} {
		respRep, err := p.g.Invoke(ctx, []byte(body))
		if err != nil {
			return p.requestFailed(pathInvoke, want, err)
		}
		resp := respRep.Resp
		if resp.Status != http.StatusUnprocessableEntity {
			return p.failBody(pathInvoke, want, fmt.Sprintf("status %d for body %s", resp.Status, body), resp)
		}
	}
	return nil
}

// production says whether the auth checks apply: the configuration says
// the target is production, or the target declares it in /health.
func (p probe) production(ctx context.Context) (bool, error) {
	if p.s.Config().Expect.Production {
		return true, nil
	}
	envRep, err := p.g.Environment(ctx)
	if err != nil {
		return false, p.requestFailed("/health", "a health answer (to learn whether the target declares production)", err)
	}
	env := envRep.Data.Environment
	if env == "production" {
		return true, nil
	}
	declared := "declares no environment"
	if env != "" {
		declared = fmt.Sprintf("declares environment %q", env)
	}
	return false, OutOfScope("the target is not declared production (%s unset, and /health %s): the contract's 401 for a missing key is a production rule; "+
		"set %s=1 for a production deployment (a configured %s is judged whatever the environment by auth_enforced_when_keyed)",
		harness.Env.ExpectProduction, declared, harness.Env.ExpectProduction, harness.Env.APIKey)
}

func missingKey401(ctx context.Context, s *harness.Stack) error {
	return authCheck(ctx, s, "", http.StatusUnauthorized)
}

func wrongKey403(ctx context.Context, s *harness.Stack) error {
	return authCheck(ctx, s, "smokestack-wrong-key-"+harness.NewIdempotencyKey(), http.StatusForbidden)
}

// authCheck invokes the harmless tool with key ("" for none) and wants
// status code with a JSON detail. A wrong key is refused in every
// environment (the contract; the real service does so); a missing key is
// refused in production.
func authCheck(ctx context.Context, s *harness.Stack, key string, code int) error {
	p, err := newProbe(s)
	if err != nil {
		return err
	}
	what, where := "a wrong X-API-Key", "in every environment"
	if key == "" {
		if ok, err := p.production(ctx); !ok {
			return err
		}
		what, where = "no X-API-Key", "in production"
	}
	want := fmt.Sprintf("status %d with a JSON detail for %s %s", code, what, where)
	respRep, err := p.g.WithAPIKey(key).Invoke(ctx, HarmlessInvoke)
	if err != nil {
		return p.requestFailed(pathInvoke, want, err)
	}
	resp := respRep.Resp
	if resp.Status != code {
		return p.failBody(pathInvoke, want, fmt.Sprintf("status %d", resp.Status), resp)
	}
	if _, ok := harness.DecodeDetail(resp); !ok {
		return p.failBody(pathInvoke, want, fmt.Sprintf("status %d without a detail", code), resp)
	}
	return nil
}
