package proofs

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/smokestack-dev/smokestack/checks"
	stackfiles "github.com/smokestack-dev/smokestack/fixtures/stack"
	"github.com/smokestack-dev/smokestack/harness"
)

// Check IDs of TestAlerting (staging).
const (
	alRulesHealthy = "TestAlerting/rules_healthy"
	alRuleSeries   = "TestAlerting/rule_series_exist"
	alAMConnected  = "TestAlerting/alertmanager_connected"
	alDelivered    = "TestAlerting/alert_delivered"
	alConfigValid  = "TestAlerting/config_valid"
)

func init() {
	faultSets = append(faultSets, alertingFaults)
	// Rows of other files that break what these checks read.
	readProm := []string{alRulesHealthy, alRuleSeries, alAMConnected, alDelivered, alConfigValid}
	for row, ids := range map[string][]string{
		// Every one of them asks Prometheus first.
		"prometheus_stopped": readProm,
		// alert_delivered asks Alertmanager where the Watchdog is; the
		// engine refuses to run amtool in a paused container.
		"alertmanager_paused": {alDelivered, alConfigValid},
	} {
		alsoFails[row] = append(alsoFails[row], ids...)
	}
	alsoSays["prometheus_stopped"] = merge(alsoSays["prometheus_stopped"], says("connection refused", readProm...))
	alsoSays["alertmanager_paused"] = merge(alsoSays["alertmanager_paused"], says("no answer", alDelivered), says("paused", alConfigValid))
}

// faultRulesDir is where the rows put rule files of their own: outside the
// rules glob of the stack's configuration, loaded only by the
// configuration a row reloads, so restoring the configuration unloads them.
const faultRulesDir = "/etc/prometheus/faults"

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
					return s.ReloadPrometheusRefusedE(ctx, append(s.PrometheusConfig(), []byte("\nsmokestack_misspelt_key: true\n")...))
				},
				Restore: func(ctx context.Context, s *harness.Stack) error { return s.ReloadPrometheusE(ctx, nil) },
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

// PrometheusRules writes a rule file into the running Prometheus (under
// faultRulesDir), reloads the stack's configuration with the file added to
// rule_files, and reloads the original configuration after.
func PrometheusRules(name string, rules []byte) Action {
	path := faultRulesDir + "/" + name
	return Action{
		Touches: []harness.Component{harness.Prometheus},
		Apply: func(ctx context.Context, s *harness.Stack) error {
			cfg, err := withRuleFile(s.PrometheusConfig(), path)
			if err != nil {
				return err
			}
			if err := s.CopyToComponentE(ctx, harness.Prometheus, path, rules); err != nil {
				return err
			}
			return s.ReloadPrometheusE(ctx, cfg)
		},
		Restore: func(ctx context.Context, s *harness.Stack) error { return s.ReloadPrometheusE(ctx, nil) },
	}
}

// PrometheusConfigEdit reloads Prometheus with its configuration changed by
// edit, and with the original after.
func PrometheusConfigEdit(edit func([]byte) ([]byte, error)) Action {
	return Action{
		Touches: []harness.Component{harness.Prometheus},
		Apply: func(ctx context.Context, s *harness.Stack) error {
			cfg, err := edit(s.PrometheusConfig())
			if err != nil {
				return err
			}
			return s.ReloadPrometheusE(ctx, cfg)
		},
		Restore: func(ctx context.Context, s *harness.Stack) error { return s.ReloadPrometheusE(ctx, nil) },
	}
}

// RuleFileEdit rewrites one of the stack's mounted rule files with edit and
// reloads Prometheus; after, it writes the original back and reloads.
func RuleFileEdit(path string, edit func([]byte) ([]byte, error)) Action {
	return Action{
		Touches: []harness.Component{harness.Prometheus},
		Apply: func(ctx context.Context, s *harness.Stack) error {
			orig, ok := s.PrometheusRuleFiles()[path]
			if !ok {
				return fmt.Errorf("the stack mounted no rule file %s", path)
			}
			b, err := edit(orig)
			if err != nil {
				return err
			}
			if err := s.CopyToComponentE(ctx, harness.Prometheus, path, b); err != nil {
				return err
			}
			return s.ReloadPrometheusE(ctx, nil)
		},
		Restore: func(ctx context.Context, s *harness.Stack) error {
			if err := s.CopyToComponentE(ctx, harness.Prometheus, path, s.PrometheusRuleFiles()[path]); err != nil {
				return err
			}
			return s.ReloadPrometheusE(ctx, nil)
		},
	}
}

// FileOnDisk overwrites a file in a component's container without telling
// the component (no reload: what runs stays as it was) and writes the
// original back after. content builds the broken file; the original is
// read before it is overwritten.
func FileOnDisk(c harness.Component, path string, content func(*harness.Stack) ([]byte, error)) Action {
	var orig []byte
	return Action{
		Touches: []harness.Component{c},
		Apply: func(ctx context.Context, s *harness.Stack) error {
			var err error
			if orig, err = originalFile(s, c, path); err != nil {
				return err
			}
			b, err := content(s)
			if err != nil {
				return err
			}
			return s.CopyToComponentE(ctx, c, path, b)
		},
		Restore: func(ctx context.Context, s *harness.Stack) error {
			if orig == nil {
				return fmt.Errorf("no original of %s to restore", path)
			}
			return s.CopyToComponentE(ctx, c, path, orig)
		},
	}
}

// originalFile is the content the stack mounted at path.
func originalFile(s *harness.Stack, c harness.Component, path string) ([]byte, error) {
	switch {
	case c == harness.Prometheus && path == stackfiles.PrometheusConfigPath:
		return s.PrometheusConfig(), nil
	case c == harness.Prometheus:
		if b, ok := s.PrometheusRuleFiles()[path]; ok {
			return b, nil
		}
	case c == harness.Alertmanager && path == stackfiles.AlertmanagerConfigPath:
		return fs.ReadFile(stackfiles.FS, stackfiles.AlertmanagerConfig)
	}
	return nil, fmt.Errorf("no known original for %s in the %s container", path, c.Title())
}

// Silenced silences the alerts with label name=value in Alertmanager, and
// expires the silence after.
func Silenced(name, value string) Action {
	var id string
	return Action{
		Touches: []harness.Component{harness.Alertmanager},
		Apply: func(ctx context.Context, s *harness.Stack) error {
			var err error
			id, err = s.Alertmanager().SilenceE(ctx, name, value, 10*time.Minute, "smokestack fault proof: a silenced "+value)
			return err
		},
		Restore: func(ctx context.Context, s *harness.Stack) error {
			if id == "" {
				return fmt.Errorf("no silence to expire")
			}
			return s.Alertmanager().ExpireSilenceE(ctx, id)
		},
	}
}

// ---- YAML edits of the stack's files --------------------------------------------------

// topLevel decodes a YAML document and returns its top mapping.
func topLevel(b []byte) (*yaml.Node, *yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, nil, fmt.Errorf("not a YAML mapping")
	}
	return &doc, doc.Content[0], nil
}

// valueOf is the value node of key in a mapping, and its index (-1 when absent).
func valueOf(m *yaml.Node, key string) (*yaml.Node, int) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1], i
		}
	}
	return nil, -1
}

func encode(doc *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), enc.Close()
}

// withRuleFile adds path to a Prometheus configuration's rule_files.
func withRuleFile(cfg []byte, path string) ([]byte, error) {
	doc, top, err := topLevel(cfg)
	if err != nil {
		return nil, fmt.Errorf("prometheus configuration: %w", err)
	}
	item := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: path}
	if rf, _ := valueOf(top, "rule_files"); rf != nil && rf.Kind == yaml.SequenceNode {
		rf.Content = append(rf.Content, item)
	} else {
		top.Content = append(top.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "rule_files"},
			&yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{item}})
	}
	return encode(doc)
}

// withoutAlerting removes a Prometheus configuration's alerting section.
func withoutAlerting(cfg []byte) ([]byte, error) {
	doc, top, err := topLevel(cfg)
	if err != nil {
		return nil, fmt.Errorf("prometheus configuration: %w", err)
	}
	_, i := valueOf(top, "alerting")
	if i < 0 {
		return nil, fmt.Errorf("prometheus configuration: no alerting section to remove")
	}
	top.Content = append(top.Content[:i:i], top.Content[i+2:]...)
	return encode(doc)
}

// withoutAlert removes, from a rule file, the groups holding the alert.
func withoutAlert(alert string) func([]byte) ([]byte, error) {
	return func(b []byte) ([]byte, error) {
		doc, top, err := topLevel(b)
		if err != nil {
			return nil, fmt.Errorf("rule file: %w", err)
		}
		groups, _ := valueOf(top, "groups")
		if groups == nil || groups.Kind != yaml.SequenceNode {
			return nil, fmt.Errorf("rule file: no groups")
		}
		var kept []*yaml.Node
		for _, g := range groups.Content {
			holds := false
			if rules, _ := valueOf(g, "rules"); rules != nil {
				for _, r := range rules.Content {
					if a, _ := valueOf(r, "alert"); a != nil && a.Value == alert {
						holds = true
					}
				}
			}
			if !holds {
				kept = append(kept, g)
			}
		}
		if len(kept) == len(groups.Content) {
			return nil, fmt.Errorf("rule file: no group holds the alert %s", alert)
		}
		groups.Content = kept
		return encode(doc)
	}
}
