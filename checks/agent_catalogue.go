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

// AgentCatalogue is TestAgentCatalogue: the A2A service describes itself
// and its agents as the contract's part A says.
var AgentCatalogue = []Check{
	{Group: "TestAgentCatalogue", Name: "a2a_version", Component: harness.Genesis, Part: harness.PartA, Line: lineCatalogue, Run: probed(a2aVersion)},
	{Group: "TestAgentCatalogue", Name: "registered_agents", Component: harness.Genesis, Part: harness.PartA, Line: lineCatalogue, Run: probed(registeredAgents)},
	{Group: "TestAgentCatalogue", Name: "a2a_card", Component: harness.Genesis, Part: harness.PartA, Line: lineCatalogue, Run: probed(a2aCard)},
	{Group: "TestAgentCatalogue", Name: "agent_cards_complete", Component: harness.Genesis, Part: harness.PartA, Line: lineCatalogue, Run: probed(agentCardsComplete)},
	{Group: "TestAgentCatalogue", Name: "unknown_agent_404", Component: harness.Genesis, Part: harness.PartA, Line: lineCatalogue, Run: probed(unknownAgent404)},
	{Group: "TestAgentCatalogue", Name: "catalogue_consistent", Component: harness.Genesis, Part: harness.PartA, Line: lineA2AContract, Run: probed(catalogueConsistent)},
	{Group: "TestAgentCatalogue", Name: "agents_loadable", Component: harness.Genesis, Part: harness.PartA, Line: lineA2AContract, Mutates: true, Run: probed(agentsLoadable)},
}

// ServiceName is the name /a2a/version reports (CONTRACT.md A).
const ServiceName = "genesis-a2a-full"

// InfrastructureTools are the tools every A2A card lists besides the agents'.
var InfrastructureTools = []string{"extract_intent", "validate_intent"}

var semverRE = regexp.MustCompile(`^v?\d+\.\d+\.\d+([.+-][0-9A-Za-z.+-]*)?$`)

func a2aVersion(ctx context.Context, p probe) error {
	s := p.s
	const path = "/a2a/version"
	want := fmt.Sprintf(`status 200 with name %q, a release version, status "operational" and the expected agents`, ServiceName)
	vRep, err := harness.Done(p.g.Version(ctx))
	if err != nil {
		return p.requestFailed(path, want, err)
	}
	v, resp := vRep.Data, vRep.Resp
	var problems []string
	if v.Name != ServiceName {
		problems = append(problems, fmt.Sprintf("name %q", v.Name))
	}
	if !semverRE.MatchString(v.Version) || strings.HasPrefix(strings.TrimPrefix(v.Version, "v"), "0.0.0") {
		problems = append(problems, fmt.Sprintf("version %q", v.Version))
	}
	if v.Status != "operational" {
		problems = append(problems, fmt.Sprintf("status %q", v.Status))
	}
	if wg := judgeAgents(s.Config().Expect.Agents, v.AgentsRegistered, v.AgentsLoaded, v.LazyLoading); wg != nil {
		problems = append(problems, wg.got+" (want "+wg.want+")")
	}
	return p.failProblems(path, want, problems, resp)
}

func registeredAgents(ctx context.Context, p probe) error {
	s := p.s
	const path = "/a2a/agents"
	expect := s.Config().Expect
	want := fmt.Sprintf("status 200 with registered_agents = the %d expected agents (%s), totals matching the lists", len(expect.AgentNames), harness.Env.ExpectAgentNames)
	aRep, err := harness.Done(p.g.Agents(ctx))
	if err != nil {
		return p.requestFailed(path, want, err)
	}
	a, resp := aRep.Data, aRep.Resp
	var problems []string
	if missing, extra := setDiff(expect.AgentNames, a.RegisteredAgents); len(missing)+len(extra) > 0 {
		problems = append(problems, fmt.Sprintf("registered_agents missing %v, unexpected %v", missing, extra))
	}
	switch {
	case a.TotalRegistered == nil:
		problems = append(problems, "no total_registered")
	case *a.TotalRegistered != len(a.RegisteredAgents) || *a.TotalRegistered != expect.Agents:
		problems = append(problems, fmt.Sprintf("total_registered %d with %d names listed, want %d", *a.TotalRegistered, len(a.RegisteredAgents), expect.Agents))
	}
	switch {
	case a.TotalLoaded == nil:
		problems = append(problems, "no total_loaded")
	case *a.TotalLoaded != len(a.LoadedAgents):
		problems = append(problems, fmt.Sprintf("total_loaded %d with %d names listed", *a.TotalLoaded, len(a.LoadedAgents)))
	}
	for _, l := range a.LoadedAgents {
		if !slices.Contains(a.RegisteredAgents, l) {
			problems = append(problems, fmt.Sprintf("loaded agent %q is not registered", l))
		}
	}
	if wg := judgeAgents(expect.Agents, a.TotalRegistered, a.TotalLoaded, a.LazyLoading); wg != nil {
		problems = append(problems, wg.got+" (want "+wg.want+")")
	}
	return p.failProblems(path, want, problems, resp)
}

// setDiff lists what want has and got lacks, and what got has beyond want.
func setDiff(want, got []string) (missing, extra []string) {
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			extra = append(extra, g)
		}
	}
	return missing, extra
}

func a2aCard(ctx context.Context, p probe) error {
	s := p.s
	const path = "/a2a/card"
	want := `status 200 with protocol "A2A", total_tools = len(tools), every tool with agent, name and description, ` +
		strings.Join(InfrastructureTools, " and ") + " present, a tool for every expected agent"
	cRep, err := harness.Done(p.g.Card(ctx))
	if err != nil {
		return p.requestFailed(path, want, err)
	}
	c, resp := cRep.Data, cRep.Resp
	var problems []string
	if c.Name == "" || c.Version == "" || c.Description == "" {
		problems = append(problems, fmt.Sprintf("name %q, version %q, description %q", c.Name, c.Version, c.Description))
	}
	if c.Protocol != "A2A" {
		problems = append(problems, fmt.Sprintf("protocol %q", c.Protocol))
	}
	switch {
	case c.TotalTools == nil:
		problems = append(problems, "no total_tools")
	case *c.TotalTools != len(c.Tools):
		problems = append(problems, fmt.Sprintf("total_tools %d but %d tools listed", *c.TotalTools, len(c.Tools)))
	}
	names := map[string]bool{}
	agents := map[string]bool{}
	incomplete := 0
	for _, t := range c.Tools {
		if t.Agent == "" || t.Name == "" || t.Description == "" {
			incomplete++
		}
		names[t.Name] = true
		names[t.Agent+"."+t.Name] = true
		agents[t.Agent] = true
	}
	if incomplete > 0 {
		problems = append(problems, fmt.Sprintf("%d tools lack agent, name or description", incomplete))
	}
	for _, n := range InfrastructureTools {
		if !names[n] {
			problems = append(problems, "no "+n+" tool")
		}
	}
	var toolless []string
	for _, a := range s.Config().Expect.AgentNames {
		if !agents[a] {
			toolless = append(toolless, a)
		}
	}
	if len(toolless) > 0 {
		problems = append(problems, fmt.Sprintf("no tools for agents %v", toolless))
	}
	return p.failProblems(path, want, problems, resp)
}

func agentCardsComplete(ctx context.Context, p probe) error {
	s := p.s
	want := "status 200 and a complete card (name, version, description, capabilities, skills, defaultInputModes, defaultOutputModes) for every expected agent"
	names := s.Config().Expect.AgentNames
	if len(names) == 0 {
		return OutOfScope("no expected agent names configured (%s is empty)", harness.Env.ExpectAgentNames)
	}
	var problems []string
	var firstResp *harness.Response
	var firstPath string
	for i, name := range names {
		asked := name
		if i == 0 {
			// The contract trims and lower-cases the name: ask for the
			// first agent the way a person might type it.
			asked = "  " + strings.ToUpper(name) + " "
		}
		path := "/a2a/agents/" + name + "/card"
		cRep, err := p.g.AgentCard(ctx, asked)
		if err != nil {
			return p.requestFailed(path, want, err)
		}
		c, resp := cRep.Data, cRep.Resp
		if resp.Status != http.StatusOK {
			problems = append(problems, fmt.Sprintf("%s (asked as %q): status %d", name, asked, resp.Status))
		} else if missing := cardGaps(c, name); len(missing) > 0 {
			problems = append(problems, fmt.Sprintf("%s: %s", name, strings.Join(missing, ", ")))
		} else {
			continue
		}
		if firstResp == nil {
			firstResp, firstPath = resp, path
		}
	}
	if len(problems) > 0 {
		return p.failBody(firstPath, want, fmt.Sprintf("%d of %d cards wrong: %s", len(problems), len(names), problemsText(problems)), firstResp)
	}
	return nil
}

// cardGaps lists what an agent card lacks.
func cardGaps(c *harness.AgentCard, name string) []string {
	var out []string
	// The card's name is a display name ("Marketing Agent"), not the
	// registry key (CONTRACT: measured on the real service); it must name
	// the agent asked for.
	if !strings.Contains(strings.ToLower(c.Name), strings.ToLower(name)) {
		out = append(out, fmt.Sprintf("name %q does not name agent %s", c.Name, name))
	}
	if c.Version == "" {
		out = append(out, "no version")
	}
	if c.Description == "" {
		out = append(out, "no description")
	}
	if len(c.Capabilities) == 0 {
		out = append(out, "no capabilities")
	}
	if len(c.Skills) == 0 {
		out = append(out, "no skills")
	}
	if len(c.DefaultInputModes) == 0 {
		out = append(out, "no defaultInputModes")
	}
	if len(c.DefaultOutputModes) == 0 {
		out = append(out, "no defaultOutputModes")
	}
	return out
}

// unknownAgentName is an agent no deployment registers.
const unknownAgentName = "smokestack-no-such-agent"

func unknownAgent404(ctx context.Context, p probe) error {
	s := p.s
	path := "/a2a/agents/" + unknownAgentName + "/card"
	want := "status 404 with a detail naming the available agents"
	respRep, err := p.g.AgentCard(ctx, unknownAgentName)
	if err != nil {
		return p.requestFailed(path, want, err)
	}
	resp := respRep.Resp
	if resp.Status != http.StatusNotFound {
		return p.failBody(path, want, fmt.Sprintf("status %d", resp.Status), resp)
	}
	d, ok := harness.DecodeDetail(resp)
	if !ok {
		return p.failBody(path, want, "404 without a detail", resp)
	}
	text := d.Text()
	var unnamed []string
	for _, a := range s.Config().Expect.AgentNames {
		if !regexp.MustCompile(`(?i)\b` + regexp.QuoteMeta(a) + `\b`).MatchString(text) {
			unnamed = append(unnamed, a)
		}
	}
	sort.Strings(unnamed)
	if len(unnamed) > 0 {
		return p.failBody(path, want, fmt.Sprintf("a detail that does not name %v", unnamed), resp)
	}
	return nil
}
