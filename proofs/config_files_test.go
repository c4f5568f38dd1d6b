package proofs

import (
	"io/fs"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/checks"
	stackfiles "github.com/smokestack-dev/smokestack/fixtures/stack"
)

// The YAML edits of the alerting rows change exactly what they say.
func TestAlertingFaultEdits(t *testing.T) {
	cfg, err := fs.ReadFile(stackfiles.FS, stackfiles.PrometheusConfig)
	require.NoError(t, err)

	more, err := withRuleFile(cfg, faultRulesDir+"/x.yml")
	require.NoError(t, err)
	targets, err := checks.AlertmanagerTargets(more)
	require.NoError(t, err)
	assert.Equal(t, []string{"alertmanager:9093"}, targets, "the alerting section is kept")
	assert.Contains(t, string(more), "- /etc/prometheus/rules/*.rules.yml\n  - "+faultRulesDir+"/x.yml\n")

	none, err := withoutAlerting(cfg)
	require.NoError(t, err)
	targets, err = checks.AlertmanagerTargets(none)
	require.NoError(t, err)
	assert.Empty(t, targets)
	assert.Contains(t, string(none), "job_name: genesis", "the scrape jobs are kept")
	_, err = withoutAlerting(none)
	assert.Error(t, err, "nothing left to remove is an error, not a silent no-op")

	rules, err := fs.ReadFile(stackfiles.FS, stackfiles.AlertRules)
	require.NoError(t, err)
	stripped, err := withoutAlert(checks.WatchdogAlert)(rules)
	require.NoError(t, err)
	groups, err := checks.ConfiguredGroups(map[string][]byte{"a": rules, "b": stripped})
	require.NoError(t, err)
	var inA, inB []string
	for _, g := range groups {
		if g.File == "a" {
			inA = append(inA, g.Name)
		} else {
			inB = append(inB, g.Name)
		}
	}
	assert.Contains(t, inA, "genesis.watchdog")
	assert.NotContains(t, inB, "genesis.watchdog")
	assert.Len(t, inB, len(inA)-1, "only the Watchdog's group goes")
	_, err = withoutAlert("NoSuchAlert")(rules)
	assert.Error(t, err)
}
