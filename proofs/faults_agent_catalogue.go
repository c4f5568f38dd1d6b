package proofs

// agentCountFaults prove registered_agents with the reference service's
// agent count knob: one agent short, which /health reports too.
func agentCountFaults() []Fault {
	return []Fault{
		// agent_count=14 truncates registered_agents while the unknown-agent
		// 404 still lists all 15: the catalogue no longer agrees with itself.
		{Name: "genesis_agent_count", Does: "knob agent_count=14: one agent short",
			Action: Knob("agent_count=14"), Fails: []string{agentsList, a2aVersion, a2aConsistent, a2aHealth},
			Says: merge(says("agents_registered=14", a2aHealth, a2aVersion), says("missing [spec]", agentsList), says("not registered: spec", a2aConsistent))},
	}
}

// catalogueFaults prove the catalogue's smoke checks: knobs, and a
// tampering proxy for an unknown agent's 404.
func catalogueFaults() []Fault {
	return []Fault{
		{Name: "version_wrong", Does: "knob version_wrong: /a2a/version reports 0.0.0-fault, degraded",
			Action: Knob("version_wrong"), Fails: []string{a2aVersion}, Says: says(`version "0.0.0-fault"`, a2aVersion)},
		{Name: "card_incomplete", Does: "knob card_incomplete: the card loses the infrastructure tools, agent cards their skills",
			Action: Knob("card_incomplete"), Fails: []string{a2aCard, agentCards, a2aConsistent},
			Says: merge(says("no extract_intent tool", a2aCard), says("no skills", agentCards), says("but 30 tools listed", a2aConsistent))},
		{Name: "unknown_agent_unhelpful", Does: `proxy: an unknown agent's card is 404 {"detail":"Not Found"}, naming no agents`,
			Action: Tampered(tamper{match: prefix("GET", "/a2a/agents/smokestack-"), response: jsonAnswer(404, `{"detail":"Not Found"}`)}),
			Fails:  []string{unknownAgent}, Says: says("does not name", unknownAgent)},
	}
}

// catalogueDefectFaults prove catalogue_consistent with the reference
// service's knobs for the real service's defects.
func catalogueDefectFaults() []Fault {
	return []Fault{
		{Name: "a2a_unregistered_cards", Does: "knob unregistered_cards: cards for orchestrator, reflection, se_darwin, waltzrl_* (not registered); the unknown-agent 404 lists 20 agents",
			Action: Knob("unregistered_cards"), Fails: []string{a2aConsistent}, Says: says("orchestrator", a2aConsistent)},
		{Name: "a2a_duplicate_tool", Does: "knob duplicate_tool: /a2a/card lists write_blog_post twice",
			Action: Knob("duplicate_tool"), Fails: []string{a2aConsistent}, Says: says("write_blog_post", a2aConsistent)},
	}
}

// agentLoadFaults prove agents_loadable with the real service's defect: an
// agent that cannot load while /health stays healthy.
func agentLoadFaults() []Fault {
	return []Fault{
		{Name: "a2a_agent_load_fails", Does: "knob agent_load_fails=builder: the builder agent cannot load (500 Failed to load agent builder) while /health stays healthy, as on the real service",
			Action: Knob("agent_load_fails=builder"), Fails: []string{a2aLoadable}, Says: says("builder", a2aLoadable)},
	}
}
