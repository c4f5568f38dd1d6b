package checks

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/harness"
	"github.com/smokestack-dev/smokestack/harness/harnesstest"
)

// The contract imitation runs without SMOKE_API_KEY: auth_enforced_when_keyed
// is not applicable there, and says how to enable it.
func init() {
	skipsHere["TestAgentInvoke/auth_enforced_when_keyed"] = "SMOKE_API_KEY"
}

const (
	idCatalogueConsistent = "TestAgentCatalogue/catalogue_consistent"
	idAgentsLoadable      = "TestAgentCatalogue/agents_loadable"
	idAuthWhenKeyed       = "TestAgentInvoke/auth_enforced_when_keyed"
	idErrorBodiesClean    = "TestAgentInvoke/error_bodies_clean"
)

// keyed is the configuration of a suite that knows the imitation's key.
var keyed = map[string]string{harness.Env.AllowMutation: "1", harness.Env.APIKey: harnesstest.GenesisAPIKey}

// lazyImitation is the contract imitation with lazy loading bookkeeping:
// agent.tool loads the agent (unless it is in broken), then answers 404 for
// an unknown tool; /a2a/agents lists the loaded agents. forget names agents
// whose load is answered but not counted.
func lazyImitation(broken, forget []string) *genesisImitation {
	g := newGenesisImitation()
	var mu sync.Mutex
	loaded := []string{}
	invoke := g.route("POST /a2a/invoke")
	g.routes["POST /a2a/invoke"] = func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var req struct {
			Tool string `json:"tool"`
		}
		_ = json.Unmarshal(b, &req)
		if agent, tool, ok := strings.Cut(req.Tool, "."); ok && slices.Contains(harness.DefaultAgents, agent) {
			if slices.Contains(broken, agent) {
				harnesstest.WriteJSON(w, 500, map[string]any{"detail": "Failed to load agent " + agent})
				return
			}
			mu.Lock()
			if !slices.Contains(loaded, agent) && !slices.Contains(forget, agent) {
				loaded = append(loaded, agent)
			}
			mu.Unlock()
			harnesstest.WriteJSON(w, 404, map[string]any{"detail": fmt.Sprintf("Tool %s not found in agent %s", tool, agent)})
			return
		}
		r.Body = io.NopCloser(strings.NewReader(string(b)))
		invoke(w, r)
	}
	g.routes["GET /a2a/agents"] = func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		harnesstest.WriteJSON(w, 200, map[string]any{"total_registered": 15, "total_loaded": len(loaded),
			"registered_agents": harness.DefaultAgents, "loaded_agents": slices.Clone(loaded), "lazy_loading": true})
	}
	return g
}

func TestA2AContractChecksPass(t *testing.T) {
	for _, id := range []string{idCatalogueConsistent, idAgentsLoadable, idErrorBodiesClean} {
		t.Run(id, func(t *testing.T) {
			v := evaluateOn(t, newGenesisImitation(), id)
			requirePass(t, v)
			v = evaluateOn(t, lazyImitation(nil, nil), id)
			requirePass(t, v)
		})
	}
	t.Run("real service's unknown-agent detail", func(t *testing.T) {
		g := newGenesisImitation()
		g.routes["GET /a2a/agents/smokestack-no-such-agent/card"] = harnesstest.JSON(404, map[string]any{
			"detail": "Agent 'smokestack-no-such-agent' not found. Available agents: " + strings.Join(harness.DefaultAgents, ", ")})
		v := evaluateOn(t, g, idCatalogueConsistent)
		requirePass(t, v)
	})
	t.Run(idAuthWhenKeyed, func(t *testing.T) {
		v := evaluateWith(t, newGenesisImitation().declareProduction(), idAuthWhenKeyed, keyed)
		requirePass(t, v)
	})
	t.Run(idErrorBodiesClean+" keyed", func(t *testing.T) {
		v := evaluateWith(t, newGenesisImitation().declareProduction(), idErrorBodiesClean, keyed)
		requirePass(t, v)
	})
}

func TestAuthEnforcedWhenKeyedNeedsAKey(t *testing.T) {
	v := evaluateOn(t, newGenesisImitation(), idAuthWhenKeyed)
	require.Equal(t, NotApplicable, v.Outcome, "%v", v.Err)
	assert.Contains(t, v.Err.Error(), "SMOKE_API_KEY")
}

func TestA2AContractChecksFail(t *testing.T) {
	extras := []string{"orchestrator", "reflection", "se_darwin", "waltzrl_conversation", "waltzrl_feedback"}
	unregisteredCards := func() http.Handler {
		g := newGenesisImitation()
		cards := g.route("GET /a2a/agents/*")
		g.routes["GET /a2a/agents/*"] = func(w http.ResponseWriter, r *http.Request) {
			name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/a2a/agents/"), "/card")
			switch {
			case slices.Contains(extras, name):
				harnesstest.WriteJSON(w, 200, map[string]any{"name": name, "version": "1", "description": "x", "capabilities": []string{"x"},
					"skills": []string{"x"}, "defaultInputModes": []string{"text"}, "defaultOutputModes": []string{"text"}})
			case !slices.Contains(harness.DefaultAgents, name):
				harnesstest.WriteJSON(w, 404, map[string]any{"detail": fmt.Sprintf("Agent '%s' not found. Available agents: %s", name,
					strings.Join(append(slices.Clone(harness.DefaultAgents), extras...), ", "))})
			default:
				cards(w, r)
			}
		}
		return g
	}
	withCard := func(mutate func(tools []map[string]any) ([]map[string]any, int)) http.Handler {
		g := newGenesisImitation()
		var tools []map[string]any
		for _, a := range harness.DefaultAgents {
			tools = append(tools, map[string]any{"agent": a, "name": "do_" + a, "description": "d"})
		}
		tools = append(tools, map[string]any{"agent": "infrastructure", "name": "extract_intent", "description": "d"},
			map[string]any{"agent": "infrastructure", "name": "validate_intent", "description": "d"})
		tools, total := mutate(tools)
		g.routes["GET /a2a/card"] = harnesstest.JSON(200, map[string]any{"name": "genesis-a2a-full", "version": "2.1.0", "description": "G",
			"protocol": "A2A", "total_tools": total, "lazy_loading": true, "tools": tools})
		return g
	}
	cardless := func() http.Handler {
		g := newGenesisImitation()
		cards := g.route("GET /a2a/agents/*")
		g.routes["GET /a2a/agents/*"] = func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/a2a/agents/legal/") {
				harnesstest.WriteJSON(w, 404, map[string]any{"detail": "Not Found"})
				return
			}
			cards(w, r)
		}
		return g
	}
	traceback := `Traceback (most recent call last):\n  File "/app/a2a_service.py", line 412, in invoke\nKeyError: 'smokestack'`
	leakyInvoke := func(status int) http.Handler {
		g := newGenesisImitation()
		invoke := g.route("POST /a2a/invoke")
		g.routes["POST /a2a/invoke"] = func(w http.ResponseWriter, r *http.Request) {
			rec := &capture{header: http.Header{}}
			invoke(rec, r)
			if rec.status == status {
				harnesstest.WriteJSON(w, status, map[string]any{"detail": "Tool not found\n" + traceback})
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(rec.status)
			_, _ = io.WriteString(w, rec.body.String())
		}
		return g
	}
	leakyCard := func() http.Handler {
		g := newGenesisImitation()
		g.routes["GET /a2a/agents/smokestack-no-such-agent/card"] = harnesstest.JSON(404, map[string]any{
			"detail": "Agent not found (ValueError: unknown agent at /app/agents/registry.py:88)"})
		return g
	}
	cases := []struct {
		name, check string
		g           http.Handler
		env         map[string]string
		says        []string
	}{
		{"unregistered cards", idCatalogueConsistent, unregisteredCards(), nil, append([]string{"not registered", "cards served for"}, extras...)},
		{"duplicate tool", idCatalogueConsistent, withCard(func(ts []map[string]any) ([]map[string]any, int) {
			ts = append(ts, map[string]any{"agent": "content", "name": "write_blog_post", "description": "d"},
				map[string]any{"agent": "marketing", "name": "write_blog_post", "description": "d"})
			return ts, len(ts)
		}), nil, []string{"write_blog_post listed 2 times", "content, marketing"}},
		{"total_tools off", idCatalogueConsistent, withCard(func(ts []map[string]any) ([]map[string]any, int) { return ts, len(ts) + 3 }), nil,
			[]string{"total_tools 20 but 17 tools listed"}},
		{"registered agent without a card", idCatalogueConsistent, cardless(), nil, []string{"without a card: legal (status 404)"}},
		{"auth off outside production", idAuthWhenKeyed, newGenesisImitation(), keyed, []string{"reached tool lookup (404)", "auth is not enforced"}},
		{"key-less request accepted", idAuthWhenKeyed, func() http.Handler {
			g := newGenesisImitation()
			g.routes["POST /a2a/invoke"] = harnesstest.JSON(200, map[string]any{"result": "ok"})
			return g
		}(), keyed, []string{"status 200 for a key-less request"}},
		{"traceback in a 404", idErrorBodiesClean, leakyInvoke(404), nil, []string{"unknown bare tool (status 404) leaks", "Traceback"}},
		{"traceback in a 422", idErrorBodiesClean, leakyInvoke(422), nil, []string{"malformed invoke body", "Traceback"}},
		{"traceback in a 403", idErrorBodiesClean, leakyInvoke(403), nil, []string{"wrong API key (status 403) leaks"}},
		{"exception and path in the unknown-agent 404", idErrorBodiesClean, leakyCard(), nil, []string{"unknown agent card (status 404) leaks", "ValueError:"}},
		{"agent fails to load", idAgentsLoadable, lazyImitation([]string{"builder"}, nil), nil,
			[]string{"1 of 15 agents not loadable", "builder failed to load: status 500", "Failed to load agent builder"}},
		{"load not counted", idAgentsLoadable, lazyImitation(nil, []string{"qa"}), nil, []string{"loaded_agents lacks qa"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := c.env
			if env == nil {
				env = mutable
			}
			v := evaluateWith(t, c.g, c.check, env)
			requireFail(t, v)
			msg := v.Err.Error()
			assert.Contains(t, msg, c.check)
			assert.Contains(t, msg, lineA2AContract)
			for _, s := range c.says {
				assert.Contains(t, msg, s)
			}
		})
	}
}

func TestAgentsLoadableTimesOut(t *testing.T) {
	g := lazyImitation(nil, nil)
	invoke := g.route("POST /a2a/invoke")
	g.routes["POST /a2a/invoke"] = func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if strings.Contains(string(b), `"support.`) {
			<-r.Context().Done() // the load never finishes
			return
		}
		r.Body = io.NopCloser(strings.NewReader(string(b)))
		invoke(w, r)
	}
	v := evaluateOn(t, g, idAgentsLoadable)
	requireFail(t, v, "support: no answer")
}

func TestAvailableAgents(t *testing.T) {
	for detail, want := range map[string][]string{
		"Agent 'wizard' not found. Available agents: marketing, builder, qa":                                                   {"marketing", "builder", "qa"},
		"Agent 'x' not found. Available: [marketing builder]":                                                                  {"marketing", "builder"},
		`Agent x not found. Available agents: ['marketing', 'se_darwin'].`:                                                     {"marketing", "se_darwin"},
		"Agent x not found. Available agents: marketing, qa\nTraceback (most recent call last):\n  File \"/app/a.py\", line 4": {"marketing", "qa"},
		"Available agents: marketing, builder, ...":                                                                            {"marketing", "builder"},
	} {
		got, ok := availableAgents(detail)
		assert.True(t, ok, detail)
		assert.Equal(t, want, got, detail)
	}
	_, ok := availableAgents("Not Found")
	assert.False(t, ok)
}

// capture records a handler's answer so a test can rewrite it.
type capture struct {
	header http.Header
	status int
	body   strings.Builder
}

func (c *capture) Header() http.Header { return c.header }
func (c *capture) WriteHeader(s int)   { c.status = s }
func (c *capture) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = 200
	}
	return c.body.Write(b)
}
