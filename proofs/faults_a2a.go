package proofs

// Check IDs of the A2A contract checks (checks/a2a_contract.go).
const (
	a2aConsistent  = "TestAgentCatalogue/catalogue_consistent"
	a2aLoadable    = "TestAgentCatalogue/agents_loadable"
	a2aAuthKeyed   = "TestAgentInvoke/auth_enforced_when_keyed"
	a2aCleanErrors = "TestAgentInvoke/error_bodies_clean"
	healthP95      = "TestPerformanceBaseline/health_p95"
	logsClean      = "TestSecurityControls/logs_clean"
)

func init() {
	faultSets = append(faultSets, a2aContractFaults)
	for row, ids := range map[string][]string{
		// agent_count=14 truncates registered_agents while the unknown-agent
		// 404 still lists all 15: the catalogue no longer agrees with itself.
		"genesis_agent_count": {a2aConsistent},
		// The proxy strips X-API-Key from every invoke: the load probes are
		// refused (401) and cannot load the agents.
		"card_incomplete": {a2aConsistent},
		// Every /health sample fails: 503, or no answer in time.
		"genesis_unhealthy":    {healthP95},
		"genesis_health_hangs": {healthP95},
	} {
		alsoFails[row] = append(alsoFails[row], ids...)
	}
}

// a2aContractFaults prove the A2A contract checks with the reference
// service's knobs for the real service's defects.
func a2aContractFaults() []Fault {
	return []Fault{
		{Name: "a2a_unregistered_cards", Does: "knob unregistered_cards: cards for orchestrator, reflection, se_darwin, waltzrl_* (not registered); the unknown-agent 404 lists 20 agents",
			Action: Knob("unregistered_cards"), Fails: []string{a2aConsistent}, Says: says("orchestrator", a2aConsistent)},
		{Name: "a2a_duplicate_tool", Does: "knob duplicate_tool: /a2a/card lists write_blog_post twice",
			Action: Knob("duplicate_tool"), Fails: []string{a2aConsistent}, Says: says("write_blog_post", a2aConsistent)},
		{Name: "a2a_auth_production_only", Does: "knob auth_production_only: a key-less invoke passes outside GENESIS_ENV=production (the stack runs staging) although a key is configured",
			Action: Knob("auth_production_only"), Fails: []string{a2aAuthKeyed}, Says: says("404", a2aAuthKeyed)},
		{Name: "a2a_error_traces", Does: "knob error_traces: A2A error bodies carry a Python traceback with /app/a2a_service.py",
			Action: Knob("error_traces"), Fails: []string{a2aCleanErrors}, Says: says("Traceback", a2aCleanErrors)},
		{Name: "a2a_agent_load_fails", Does: "knob agent_load_fails=builder: the builder agent cannot load (500 Failed to load agent builder) while /health stays healthy, as on the real service",
			Action: Knob("agent_load_fails=builder"), Fails: []string{a2aLoadable}, Says: says("builder", a2aLoadable)},
		// The proofs run with SMOKE_HEALTH_BUDGET=300ms (TestMain).
		{Name: "a2a_health_slow", Does: "knob health_slow=500ms: /health answers healthy, after 500 ms (the proofs' health budget is 300 ms)",
			Action: Knob("health_slow=500ms"), Fails: []string{a2aHealth, healthP95},
			Says: map[string]string{a2aHealth: "a healthy answer after 5", healthP95: "is over the budget 300ms"}},
		{Name: "a2a_agent_load_time", Does: "knob agent_load_time=500ms: every agent unloaded; each load takes 500 ms and /health waits for it, as on the real service",
			Action: Knob("agent_load_time=500ms"), Fails: []string{healthP95}, Says: says("is over the budget 300ms", healthP95)},
	}
}
