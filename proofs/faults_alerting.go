package proofs

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"time"

	"github.com/smokestack-dev/smokestack/checks"
	stackfiles "github.com/smokestack-dev/smokestack/fixtures/stack"
	"github.com/smokestack-dev/smokestack/harness"
)

// evalErrorRules is a recording rule that parses and names an existing
// series (up) but fails at every evaluation: its labels overwrite job and
// instance, so every target's series collapses into one labelset.
const evalErrorRules = `groups:
  - name: smokestack.fault.eval_error
    rules:
      - record: smokestack:up:collapsed
        expr: up
        labels:
          job: collapsed
          instance: collapsed
`

// brokenRuleGroup is a rule group whose expression does not parse (a
// parenthesis short): appended to the mounted rule file on disk, it is what
// the next reload would refuse.
const brokenRuleGroup = `
  - name: smokestack.fault.unparsable
    rules:
      - alert: SmokestackUnparsable
        expr: sum(rate(genesis_http_requests_total[5m])
`

// alertingFaults prove TestAlerting: rule files loaded by a reload (a rule
// on a series never exported, a rule whose evaluation fails), a refused
// reload, a configuration without Alertmanagers, the Watchdog removed or
// silenced, the receiver stopped, and broken files on disk that only the
// next reload would load.
func alertingFaults() []Fault {
	missingSeries, err := fs.ReadFile(stackfiles.FS, stackfiles.BrokenRulesMissingSeries)
	if err != nil {
		panic(err)
	}
	rulesPath := stackfiles.PrometheusRulesDir + "/" + "genesis.rules.yml"
	return []Fault{
		{Name: "rules_missing_series", Does: "Prometheus reloaded with the seed's rule on genesis_tests_total_total (" + stackfiles.BrokenRulesMissingSeries + ")",
			Action: PrometheusRules("missing-series.yml", missingSeries), Fails: []string{alRuleSeries},
			Says: says("no series named genesis_tests_total_total exists", alRuleSeries)},
		{Name: "rule_eval_error", Does: "Prometheus reloaded with a recording rule whose every evaluation fails (its labels collapse all up series into one)",
			Action: PrometheusRules("eval-error.yml", []byte(evalErrorRules)), Fails: []string{alRulesHealthy},
			Says: says("same labelset", alRulesHealthy)},
		{Name: "prometheus_reload_refused", Does: "a configuration with an unknown key written and reloaded: Prometheus refuses it and keeps running the old one",
			Action: Action{
				Touches: []harness.Component{harness.Prometheus},
				Apply: func(ctx context.Context, s *harness.Stack) error {
					return reloadPrometheusRefused(ctx, s, append(s.PrometheusConfig(), []byte("\nsmokestack_misspelt_key: true\n")...))
				},
				Restore: func(ctx context.Context, s *harness.Stack) error { return reloadPrometheus(ctx, s, nil) },
			},
			Fails: []string{alRulesHealthy, alConfigValid},
			Says:  merge(says("reloadConfigSuccess false", alRulesHealthy), says("smokestack_misspelt_key", alConfigValid))},
		{Name: "prometheus_no_alerting", Does: "Prometheus reloaded without its alerting section: alerts go to no Alertmanager",
			Action: PrometheusConfigEdit(withoutAlerting), Settle: 30 * time.Second, Stable: 8 * time.Second,
			Fails: []string{alAMConnected, alDelivered},
			Says:  merge(says("active []", alAMConnected), says("does not reach Alertmanager", alDelivered))},
		{Name: "watchdog_removed", Does: "the Watchdog group removed from " + rulesPath + " and Prometheus reloaded",
			Action: RuleFileEdit(rulesPath, withoutAlert(checks.WatchdogAlert)), Fails: []string{alDelivered, alRulesHealthy},
			Says: merge(says("no Watchdog among", alDelivered), says("group genesis.watchdog of "+rulesPath+" not loaded", alRulesHealthy))},
		{Name: "watchdog_silenced", Does: "an Alertmanager silence on alertname=Watchdog: the alert is suppressed, no receiver hears of it",
			Action: Silenced("alertname", checks.WatchdogAlert), Fails: []string{alDelivered},
			Says: says(`state "suppressed" silenced by [`, alDelivered)},
		{Name: "rules_unparsable_on_disk", Does: "a rule group whose expression does not parse appended to " + rulesPath + " on disk, not reloaded: what runs is fine, the next reload would fail",
			Action: FileOnDisk(harness.Prometheus, rulesPath, func(s *harness.Stack) ([]byte, error) {
				b, ok := s.PrometheusRuleFiles()[rulesPath]
				if !ok {
					return nil, fmt.Errorf("the stack mounted no %s", rulesPath)
				}
				return append(bytes.TrimRight(b, "\n"), []byte(brokenRuleGroup)...), nil
			}),
			Fails: []string{alConfigValid}, Says: says("SmokestackUnparsable", alConfigValid)},
		{Name: "alertmanager_config_broken_on_disk", Does: "Alertmanager's configuration on disk routes to an undefined receiver, not reloaded",
			Action: FileOnDisk(harness.Alertmanager, stackfiles.AlertmanagerConfigPath, func(*harness.Stack) ([]byte, error) {
				b, err := fs.ReadFile(stackfiles.FS, stackfiles.AlertmanagerConfig)
				if err != nil {
					return nil, err
				}
				broken := bytes.Replace(b, []byte("  receiver: smokestack\n"), []byte("  receiver: nowhere\n"), 1)
				if bytes.Equal(broken, b) {
					return nil, fmt.Errorf("%s: no root route receiver to break", stackfiles.AlertmanagerConfig)
				}
				return broken, nil
			}),
			Fails: []string{alConfigValid}, Says: says(`undefined receiver "nowhere"`, alConfigValid)},
		{Name: "alert_sink_stopped", Does: "the alert webhook sink (the receiver) stopped",
			Action: Stopped(harness.AlertSink), Fails: []string{alDelivered}, Says: says("the receiver does not answer", alDelivered)},
	}
}
