package harness

import (
	"fmt"
	"sort"
	"strings"
)

// LiveEnv is the live-mode configuration that attaches to this stack: what
// `smokestack up` writes so several test packages can share one stack
// (SMOKE_CONFIG=.smokestack/stack.env go test ./smoke ./staging). It holds
// the stack's keys, so the file is written 0600 and never printed.
func (s *Stack) LiveEnv() map[string]string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	env := map[string]string{Env.Target: string(Live), Env.AllowMutation: "1", "SMOKE_STACK_RUN": s.runID}
	for c, u := range s.urls {
		if c.Valid() { // the alert sink is the suite's, no part of a live target
			env[c.URLVar()] = u
		}
	}
	// What this stack runs is what a run against it requires: Grafana
	// only when it was started, never by the live-mode default.
	var req []string
	for _, c := range Requirable {
		if _, ok := s.urls[c]; ok || (c == Containers && len(s.names) > 0) {
			req = append(req, string(c))
		}
	}
	env[Env.Require] = strings.Join(req, ",")
	var names []string
	for c, n := range s.names {
		names = append(names, string(c)+"="+n)
	}
	sort.Strings(names)
	if len(names) > 0 {
		env[Env.Containers] = strings.Join(names, ",")
	}
	for k, v := range map[string]Secret{Env.APIKey: s.cfg.APIKey, Env.AdminKey: s.cfg.AdminKey,
		Env.GrafanaUser: s.cfg.GrafanaUser, Env.GrafanaPassword: s.cfg.GrafanaPassword} {
		if v != "" {
			env[k] = v.Value()
		}
	}
	return env
}

// FormatEnv renders KEY=VALUE lines in a stable order.
func FormatEnv(env map[string]string) string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, env[k])
	}
	return b.String()
}
