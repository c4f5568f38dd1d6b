package proofs

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"

	"go.yaml.in/yaml/v3"

	stackfiles "github.com/smokestack-dev/smokestack/fixtures/stack"
	"github.com/smokestack-dev/smokestack/harness"
)

// faultRulesDir is where the rows put rule files of their own: outside the
// rules glob of the stack's configuration, loaded only by the
// configuration a row reloads, so restoring the configuration unloads them.
const faultRulesDir = "/etc/prometheus/faults"

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
			if err := s.CopyToComponent(ctx, harness.Prometheus, path, rules); err != nil {
				return err
			}
			return reloadPrometheus(ctx, s, cfg)
		},
		Restore: func(ctx context.Context, s *harness.Stack) error { return reloadPrometheus(ctx, s, nil) },
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
			return reloadPrometheus(ctx, s, cfg)
		},
		Restore: func(ctx context.Context, s *harness.Stack) error { return reloadPrometheus(ctx, s, nil) },
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
			if err := s.CopyToComponent(ctx, harness.Prometheus, path, b); err != nil {
				return err
			}
			return reloadPrometheus(ctx, s, nil)
		},
		Restore: func(ctx context.Context, s *harness.Stack) error {
			if err := s.CopyToComponent(ctx, harness.Prometheus, path, s.PrometheusRuleFiles()[path]); err != nil {
				return err
			}
			return reloadPrometheus(ctx, s, nil)
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
			return s.CopyToComponent(ctx, c, path, b)
		},
		Restore: func(ctx context.Context, s *harness.Stack) error {
			if orig == nil {
				return fmt.Errorf("no original of %s to restore", path)
			}
			return s.CopyToComponent(ctx, c, path, orig)
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
