package checks

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/smokestack-dev/smokestack/harness"
)

// lineA2AContract is the checklist line of the A2A contract checks, which
// AgentCatalogue and AgentInvoke list: what the catalogue says agrees with
// itself and with what the service can load, auth runs whenever a key is
// configured, and error bodies leak nothing.
const lineA2AContract = "Full smoke suite: A2A catalogue / invoke"

// Tools the contract checks invoke. None exists anywhere: a bare unknown
// name loads and executes nothing; NAME.loadProbeTool loads agent NAME
// (lazy loading) and then executes nothing.
const (
	authProbeTool    = "smokestack_auth_probe_no_such_tool"
	loadProbeTool    = "smokestack_load_probe_no_such_tool"
	cleanProbeTool   = "smokestack_error_probe_no_such_tool"
	wrongKeyForProbe = "smokestack-wrong-key-error-probe"
)

// availableRE finds the list of agents in the unknown-agent 404's detail:
// "Agent 'wizard' not found. Available agents: marketing, builder, ...".
var availableRE = regexp.MustCompile(`(?is)available(?:\s+agents)?\s*:\s*(.*)$`)

// agentNameRE is what a listed agent name looks like (a registry key).
var agentNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)

// availableAgents parses the names listed after "Available agents:" (comma
// or space separated, optionally bracketed or quoted); ok is false when the
// detail lists none.
func availableAgents(detail string) (names []string, ok bool) {
	m := availableRE.FindStringSubmatch(detail)
	if m == nil {
		return nil, false
	}
	list, _, _ := strings.Cut(m[1], "\n") // the list ends the line (a leaked traceback may follow)
	for _, f := range strings.FieldsFunc(list, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\n' || r == '\t' || r == '[' || r == ']' || r == '(' || r == ')'
	}) {
		f = strings.Trim(f, `'".;`)
		if agentNameRE.MatchString(f) && !slices.Contains(names, f) {
			names = append(names, f)
		}
	}
	return names, len(names) > 0
}

func catalogueConsistent(ctx context.Context, p probe) error {
	want := "one agent set: every registered agent has a card (200), the unknown-agent 404 lists exactly the registered agents, " +
		"/a2a/card lists every tool name once and total_tools = len(tools)"
	aRep, err := harness.Done(p.g.Agents(ctx))
	if err != nil {
		return p.requestFailed("/a2a/agents", want, err)
	}
	a, aResp := aRep.Data, aRep.Resp
	registered := a.RegisteredAgents
	var problems []string
	var firstResp *harness.Response
	firstPath := "/a2a/agents"
	note := func(path string, resp *harness.Response, problem string) {
		problems = append(problems, problem)
		if firstResp == nil {
			firstResp, firstPath = resp, path
		}
	}
	if len(registered) == 0 {
		note("/a2a/agents", aResp, "registered_agents is empty")
	}

	// Every registered agent has a card.
	var cardless []string
	var cardlessResp *harness.Response
	for _, name := range registered {
		rep, err := p.g.AgentCard(ctx, name)
		if err != nil {
			return p.requestFailed("/a2a/agents/"+name+"/card", want, err)
		}
		if resp := rep.Resp; resp.Status != http.StatusOK {
			cardless = append(cardless, fmt.Sprintf("%s (status %d)", name, resp.Status))
			if cardlessResp == nil {
				cardlessResp = resp
			}
		}
	}
	if len(cardless) > 0 {
		note("/a2a/agents/"+strings.SplitN(cardless[0], " ", 2)[0]+"/card", cardlessResp,
			fmt.Sprintf("registered agents without a card: %s", strings.Join(cardless, ", ")))
	}

	// The agents with cards, as the unknown-agent 404 lists them, are the
	// registered ones.
	unknownPath := "/a2a/agents/" + unknownAgentName + "/card"
	unknown, err := p.g.AgentCard(ctx, unknownAgentName)
	if err != nil {
		return p.requestFailed(unknownPath, want, err)
	}
	if resp := unknown.Resp; resp.Status == http.StatusNotFound {
		if d, ok := harness.DecodeDetail(resp); ok {
			if listed, ok := availableAgents(d.Text()); ok {
				missing, extra := setDiff(registered, listed)
				sort.Strings(extra)
				if len(extra) > 0 {
					// Say whether those unregistered agents really answer with a card.
					var served []string
					for _, x := range extra {
						if r, err := p.g.AgentCard(ctx, x); err == nil && r.Resp.Status == http.StatusOK {
							served = append(served, x)
						}
					}
					msg := fmt.Sprintf("the unknown-agent 404 lists agents that are not registered: %s", strings.Join(extra, ", "))
					if len(served) > 0 {
						msg += fmt.Sprintf(" (cards served for %s)", strings.Join(served, ", "))
					}
					note(unknownPath, resp, msg)
				}
				if len(missing) > 0 {
					note(unknownPath, resp, fmt.Sprintf("the unknown-agent 404 does not list registered agents %s", strings.Join(missing, ", ")))
				}
			}
		}
	}
	// A missing 404 or an unhelpful detail is unknown_agent_404's verdict.

	// Tool names are unique; total_tools counts them.
	cRep, err := harness.Done(p.g.Card(ctx))
	if err != nil {
		return p.requestFailed("/a2a/card", want, err)
	}
	c, cResp := cRep.Data, cRep.Resp
	count := map[string][]string{}
	var order []string
	for _, t := range c.Tools {
		if _, seen := count[t.Name]; !seen {
			order = append(order, t.Name)
		}
		count[t.Name] = append(count[t.Name], t.Agent)
	}
	for _, n := range order {
		if agents := count[n]; len(agents) > 1 {
			note("/a2a/card", cResp, fmt.Sprintf("tool name %s listed %d times (agents %s)", n, len(agents), strings.Join(agents, ", ")))
		}
	}
	if c.TotalTools != nil && *c.TotalTools != len(c.Tools) {
		note("/a2a/card", cResp, fmt.Sprintf("total_tools %d but %d tools listed", *c.TotalTools, len(c.Tools)))
	}
	return p.failProblems(firstPath, want, problems, firstResp)
}

func authEnforcedWhenKeyed(ctx context.Context, p probe) error {
	s := p.s
	want := fmt.Sprintf("status 401 for a request without X-API-Key while a key is configured (%s), in every environment", harness.Env.APIKey)
	// A bare unknown tool: even if auth lets it through, nothing loads or runs.
	rep, err := p.g.WithAPIKey("").Invoke(ctx, harness.InvokeRequest{Tool: authProbeTool, Arguments: map[string]any{}})
	if err != nil {
		return p.requestFailed(pathInvoke, want, err)
	}
	resp := rep.Resp
	if s.Config().APIKey == "" {
		return OutOfScope("no API key is configured (%s unset): whether the service enforces a configured key is judged only when the suite has one "+
			"(a key-less invoke answered %d)", harness.Env.APIKey, resp.Status)
	}
	switch resp.Status {
	case http.StatusUnauthorized:
		return nil
	case http.StatusNotFound:
		return p.failBody(pathInvoke, want, "key-less request reached tool lookup (404): auth is not enforced although a key is configured", resp)
	}
	return p.failBody(pathInvoke, want, fmt.Sprintf("status %d for a key-less request", resp.Status), resp)
}

// leakPatterns are what an error body must not carry: a stack trace,
// exception text, a source path.
var leakPatterns = []*regexp.Regexp{
	regexp.MustCompile(`Traceback`),
	regexp.MustCompile(`File "`),
	regexp.MustCompile(`\.py", line`),
	regexp.MustCompile(`\b[A-Z]\w*(?:Error|Exception):`),
	regexp.MustCompile(`\b(?:KeyError|ImportError|ModuleNotFoundError|ValueError|TypeError|AttributeError|NameError|RuntimeError)\b`),
	regexp.MustCompile(`/app/`),
	regexp.MustCompile(`\.go:\d+`),
	regexp.MustCompile(`goroutine \d+ \[`),
}

// leak is the first leaking fragment of body, clipped, or "".
func leak(body []byte) string {
	text := string(body)
	for _, re := range leakPatterns {
		loc := re.FindStringIndex(text)
		if loc == nil {
			continue
		}
		start, end := max(loc[0]-30, 0), min(loc[1]+50, len(text))
		return strings.Join(strings.Fields(text[start:end]), " ")
	}
	return ""
}

func errorBodiesClean(ctx context.Context, p probe) error {
	s := p.s
	want := "4xx error bodies without a stack trace, exception text or file path"
	key := s.Config().APIKey.Value()
	type provoked struct {
		what, path string
		do         func() (*harness.Response, error)
	}
	invoke := func(g harness.GenesisClient, body any) func() (*harness.Response, error) {
		return func() (*harness.Response, error) {
			rep, err := g.Invoke(ctx, body)
			return rep.Response(), err
		}
	}
	requests := []provoked{
		{"unknown agent card", "/a2a/agents/" + unknownAgentName + "/card", func() (*harness.Response, error) {
			rep, err := p.g.AgentCard(ctx, unknownAgentName)
			return rep.Response(), err
		}},
		{"unknown bare tool", pathInvoke, invoke(p.g, harness.InvokeRequest{Tool: cleanProbeTool, Arguments: map[string]any{}})},
		{`malformed invoke body {"tool": 5}`, pathInvoke, invoke(p.g, []byte(`{"tool": 5}`))},
		{"wrong API key", pathInvoke, invoke(p.g.WithAPIKey(wrongKeyForProbe+keySuffix(key)), harness.InvokeRequest{Tool: cleanProbeTool, Arguments: map[string]any{}})},
	}
	var problems []string
	var firstResp *harness.Response
	firstPath := pathInvoke
	for _, r := range requests {
		resp, err := r.do()
		if err != nil {
			return p.requestFailed(r.path, want, err)
		}
		if frag := leak(resp.Body); frag != "" {
			problems = append(problems, fmt.Sprintf("%s (status %d) leaks %q", r.what, resp.Status, frag))
			if firstResp == nil {
				firstResp, firstPath = resp, r.path
			}
		}
	}
	return p.failProblems(firstPath, want, problems, firstResp)
}

// keySuffix keeps the wrong key different from the configured one.
func keySuffix(configured string) string {
	if configured == wrongKeyForProbe {
		return "-x"
	}
	return ""
}

func agentsLoadable(ctx context.Context, p probe) error {
	want := fmt.Sprintf("every registered agent loads: NAME.%s answers 404 (agent loaded, tool unknown), and /a2a/agents then lists it in loaded_agents", loadProbeTool)
	aRep, err := harness.Done(p.g.Agents(ctx))
	if err != nil {
		return p.requestFailed("/a2a/agents", want, err)
	}
	a := aRep.Data
	if len(a.RegisteredAgents) == 0 {
		return CannotJudge("/a2a/agents lists no registered agents to load (registered_agents judges that)")
	}
	var problems, reached []string
	var firstResp *harness.Response
	for _, name := range a.RegisteredAgents {
		rep, err := p.g.Invoke(ctx, harness.InvokeRequest{Tool: name + "." + loadProbeTool, Arguments: map[string]any{}})
		resp := rep.Response()
		switch {
		case err != nil && resp == nil:
			if ctx.Err() != nil {
				problems = append(problems, fmt.Sprintf("%s: no answer before the check's deadline", name))
				return p.fail(pathInvoke, want, problemsText(problems), err)
			}
			problems = append(problems, fmt.Sprintf("%s: no answer (%v)", name, err))
		case err != nil:
			problems = append(problems, fmt.Sprintf("%s: status %d, %v", name, resp.Status, err))
		case resp.Status == http.StatusNotFound || resp.Status/100 == 2:
			reached = append(reached, name)
			continue
		default:
			detail := resp.Excerpt()
			if d, ok := harness.DecodeDetail(resp); ok {
				detail = d.Text()
			}
			if len(detail) > 160 {
				detail = detail[:160] + "..."
			}
			if resp.Status/100 == 5 {
				problems = append(problems, fmt.Sprintf("%s failed to load: status %d %q", name, resp.Status, detail))
			} else {
				problems = append(problems, fmt.Sprintf("%s: status %d %q", name, resp.Status, detail))
			}
		}
		if firstResp == nil && resp != nil {
			firstResp = resp
		}
	}
	if len(problems) > 0 {
		return p.failBody(pathInvoke, want, fmt.Sprintf("%d of %d agents not loadable: %s", len(problems), len(a.RegisteredAgents), problemsText(problems)), firstResp)
	}
	afterRep, err := harness.Done(p.g.Agents(ctx))
	if err != nil {
		return p.requestFailed("/a2a/agents", want, err)
	}
	after, resp := afterRep.Data, afterRep.Resp
	var uncounted []string
	for _, n := range reached {
		if !slices.Contains(after.LoadedAgents, n) {
			uncounted = append(uncounted, n)
		}
	}
	// A service whose loaded_agents did not move at all keeps no load
	// bookkeeping to compare with (a static list): the probes' answers
	// are the verdict. One that counts some loads must count them all.
	if len(uncounted) > 0 && !sameSet(a.LoadedAgents, after.LoadedAgents) {
		return p.failBody("/a2a/agents", want, fmt.Sprintf("loaded_agents lacks %s although their probes answered as loaded", strings.Join(uncounted, ", ")), resp)
	}
	return nil
}
