package checks

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/harness"
)

// TestAuthChecksInProduction: a wrong key must be refused with 403 in every
// environment; a missing key must be refused with 401 where the target is
// production (declared by /health or by configuration) and is not
// applicable elsewhere, saying how to declare production.
func TestAuthChecksInProduction(t *testing.T) {
	const missing, wrong = "TestAgentInvoke/missing_key_401", "TestAgentInvoke/wrong_key_403"
	// open lets anybody in, whatever key they send.
	open := func(g *genesisImitation) *genesisImitation {
		g.routes["POST /a2a/invoke"] = body(200, "application/json", `{"result":{"intent":"create"}}`)
		return g
	}
	production := map[string]string{harness.Env.ExpectProduction: "1"}
	cases := []struct {
		name    string
		g       *genesisImitation
		env     map[string]string
		id      string
		outcome Outcome
		says    []string
	}{
		{"declared production, enforcing: missing key", newGenesisImitation().declareProduction(), nil, missing, Pass, nil},
		{"declared production, enforcing: wrong key", newGenesisImitation().declareProduction(), nil, wrong, Pass, nil},
		{"configured production, enforcing: wrong key", newGenesisImitation(), production, wrong, Pass, nil},
		{"staging, enforcing: wrong key judged anyway", newGenesisImitation(), nil, wrong, Pass, nil},
		{"staging: missing key not applicable", newGenesisImitation(), nil, missing, NotApplicable,
			[]string{"not declared production", `environment "staging"`, harness.Env.ExpectProduction + "=1"}},
		{"declared production, open: missing key", open(newGenesisImitation().declareProduction()), nil, missing, Fail,
			[]string{"status 401", "no X-API-Key in production", "got status 200"}},
		{"declared production, open: wrong key", open(newGenesisImitation().declareProduction()), nil, wrong, Fail,
			[]string{"status 403", "wrong X-API-Key in every environment", "got status 200"}},
		{"configured production, staging service lets a key-less call in", newGenesisImitation(), production, missing, Fail,
			[]string{"status 401", "got status 200"}},
		{"staging, open: wrong key fails in every environment", open(newGenesisImitation()), nil, wrong, Fail,
			[]string{"status 403", "wrong X-API-Key in every environment", "got status 200", "/a2a/invoke"}},
		{"refused without a detail", func() *genesisImitation {
			g := newGenesisImitation()
			g.routes["POST /a2a/invoke"] = body(403, "text/plain", "Forbidden")
			return g
		}(), nil, wrong, Fail, []string{"status 403 without a detail"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := Evaluate(context.Background(), imitateGenesis(t, c.g, c.env), check(t, c.id))
			require.Equal(t, c.outcome, v.Outcome, "%v", v.Err)
			for _, s := range c.says {
				assert.Contains(t, v.Err.Error(), s)
			}
			if c.outcome == Fail {
				assert.Contains(t, v.Err.Error(), c.id, "the headline names the check")
			}
		})
	}
}
