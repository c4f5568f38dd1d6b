package checks

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"

	"github.com/smokestack-dev/smokestack/harness"
)

const alertingGroup = "TestAlerting"

// Checklist lines of the alerting validation, quoted in failures.
const (
	lineRulesHealthy = "Monitoring: alert rules loaded and healthy — every configured rule group loaded (/api/v1/rules), every rule health ok without lastError, the last configuration reload successful"
	lineRuleSeries   = "Monitoring: every series an alert rule references exists (the seed's rule on genesis_tests_total_total could never fire)"
	lineAMConnected  = "Monitoring: Prometheus sends its alerts to the Alertmanager (/api/v1/alertmanagers)"
	lineDelivered    = "Monitoring: an alert reaches a receiver end to end — the always-firing Watchdog, Prometheus -> Alertmanager -> receiver"
	lineConfigValid  = "Monitoring: the monitoring configuration on disk is valid — promtool check config, promtool check rules, amtool check-config in their containers"
)

// Alerting is TestAlerting (staging): the alerting pipeline, from the rules
// Prometheus evaluates to the receiver Alertmanager notifies.
var Alerting = []Check{
	{Group: alertingGroup, Name: "rules_healthy", Component: harness.Prometheus, Line: lineRulesHealthy, Run: rulesHealthy},
	{Group: alertingGroup, Name: "rule_series_exist", Component: harness.Prometheus, Line: lineRuleSeries, Run: ruleSeriesExist},
	{Group: alertingGroup, Name: "alertmanager_connected", Component: harness.Prometheus, Reads: []harness.Component{harness.Alertmanager},
		Line: lineAMConnected, Run: alertmanagerConnected},
	{Group: alertingGroup, Name: "alert_delivered", Component: harness.Alertmanager, Reads: []harness.Component{harness.Prometheus},
		Line: lineDelivered, Run: alertDelivered},
	{Group: alertingGroup, Name: "config_valid", Component: harness.Prometheus, Reads: []harness.Component{harness.Alertmanager},
		Line: lineConfigValid, Run: configValid},
}

// WatchdogAlert is the always-firing alert (fixtures/stack/rules) whose
// arrival at a receiver proves the alerting pipeline works end to end.
const WatchdogAlert = "Watchdog"

// ruleSettle bounds the wait for rules Prometheus has not evaluated yet
// (health "unknown" right after a reload): a few evaluation intervals.
const ruleSettle = 10 * time.Second

// alertingPoll is how often the alerting checks look again while they wait.
const alertingPoll = 500 * time.Millisecond

// waitWithin is the part of the check's deadline a wait may use: all but a
// second and a half, so the check still returns its own verdict in time.
func waitWithin(ctx context.Context, limit time.Duration) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl) - 1500*time.Millisecond; left < limit {
			return max(left, 0)
		}
	}
	return limit
}

// permanentIfUnanswered stops a wait at once on a request that got no
// answer or a refusal: waiting does not bring a dead component back.
func permanentIfUnanswered(err error) error {
	var he *harness.HTTPError
	if errors.As(err, &he) {
		return harness.Permanent(err)
	}
	return err
}

// ---- rules_healthy --------------------------------------------------------------------

// ConfiguredGroup is one rule group of a rule file: where it comes from
// and the names of its rules (alert or record).
type ConfiguredGroup struct {
	File  string
	Name  string
	Rules []string
}

// ConfiguredGroups reads the rule groups of rule files (path -> YAML).
func ConfiguredGroups(files map[string][]byte) ([]ConfiguredGroup, error) {
	var out []ConfiguredGroup
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		var rf struct {
			Groups []struct {
				Name  string `yaml:"name"`
				Rules []struct {
					Alert  string `yaml:"alert"`
					Record string `yaml:"record"`
				} `yaml:"rules"`
			} `yaml:"groups"`
		}
		if err := yaml.Unmarshal(files[p], &rf); err != nil {
			return nil, fmt.Errorf("rule file %s: %w", p, err)
		}
		for _, g := range rf.Groups {
			cg := ConfiguredGroup{File: p, Name: g.Name}
			for _, r := range g.Rules {
				cg.Rules = append(cg.Rules, r.Alert+r.Record)
			}
			out = append(out, cg)
		}
	}
	return out, nil
}

// ruleState is the part of a loaded rule the checks read, whatever its type.
type ruleState struct {
	Name, Query, Health, LastError string
	Alerting                       bool
}

func ruleStates(g v1.RuleGroup) []ruleState {
	var out []ruleState
	for _, r := range g.Rules {
		switch r := r.(type) {
		case v1.AlertingRule:
			out = append(out, ruleState{Name: r.Name, Query: r.Query, Health: string(r.Health), LastError: r.LastError, Alerting: true})
		case v1.RecordingRule:
			out = append(out, ruleState{Name: r.Name, Query: r.Query, Health: string(r.Health), LastError: r.LastError})
		}
	}
	return out
}

// RuleProblems judges loaded rule groups against the configured ones (nil
// when the target's rule files are not known): every configured group
// loaded from its file with every rule, every loaded rule healthy without
// an error. unknown counts the rules not evaluated yet (health "unknown").
func RuleProblems(loaded []v1.RuleGroup, configured []ConfiguredGroup) (problems []string, unknown int) {
	if len(loaded) == 0 {
		return []string{"no rule group loaded: Prometheus evaluates no rule, so nothing can ever alert"}, 0
	}
	type key struct{ file, name string }
	byKey := map[key]v1.RuleGroup{}
	for _, g := range loaded {
		byKey[key{g.File, g.Name}] = g
	}
	for _, cg := range configured {
		g, ok := byKey[key{cg.File, cg.Name}]
		if !ok {
			problems = append(problems, fmt.Sprintf("group %s of %s not loaded", cg.Name, cg.File))
			continue
		}
		var have []string
		for _, r := range ruleStates(g) {
			have = append(have, r.Name)
		}
		for _, r := range cg.Rules {
			if !slices.Contains(have, r) {
				problems = append(problems, fmt.Sprintf("rule %s of group %s (%s) not loaded", r, cg.Name, cg.File))
			}
		}
	}
	for _, g := range loaded {
		for _, r := range ruleStates(g) {
			switch {
			case r.LastError != "":
				problems = append(problems, fmt.Sprintf("rule %s/%s health %q, lastError: %s", g.Name, r.Name, r.Health, r.LastError))
			case r.Health == "unknown":
				unknown++
			case r.Health != "ok":
				problems = append(problems, fmt.Sprintf("rule %s/%s health %q", g.Name, r.Name, r.Health))
			}
		}
	}
	return problems, unknown
}

func rulesHealthy(ctx context.Context, s *harness.Stack) error {
	if err := absent(s, harness.Prometheus); err != nil {
		return err
	}
	prom := s.Prometheus()
	base := s.URL(harness.Prometheus)
	var configured []ConfiguredGroup
	want := "at least one rule group, every rule health ok without lastError"
	if files := s.PrometheusRuleFiles(); files != nil {
		var err error
		if configured, err = ConfiguredGroups(files); err != nil {
			return fail("", harness.Prometheus, base+"/api/v1/rules", "the stack's rule files to parse", err.Error(), "", nil)
		}
		names := make([]string, 0, len(files))
		for p := range files {
			names = append(names, path.Base(p))
		}
		sort.Strings(names)
		want = fmt.Sprintf("every group of the mounted rule files (%s) loaded with all its rules, every rule health ok without lastError", strings.Join(names, ", "))
	}

	info, err := prom.Runtimeinfo(ctx)
	if err != nil {
		return requestFailed("", harness.Prometheus, base+"/api/v1/status/runtimeinfo", "reloadConfigSuccess true", "", err)
	}
	if !info.ReloadConfigSuccess {
		return fail("", harness.Prometheus, base+"/api/v1/status/runtimeinfo", "reloadConfigSuccess true (the last configuration reload succeeded)",
			fmt.Sprintf("reloadConfigSuccess false (last successful configuration at %s)", info.LastConfigTime.UTC().Format(time.RFC3339)), "",
			errors.New("the last reload of the configuration failed: Prometheus still runs the configuration and rules it had before, so "+
				"what is on disk is not what is evaluated; look in the Prometheus log for \"Error reloading config\""))
	}

	var problems []string
	var unknown int
	wait := harness.Eventually(ctx, "every rule evaluated once", waitWithin(ctx, ruleSettle), alertingPoll, func(context.Context) error {
		rules, err := prom.Rules(ctx)
		if err != nil {
			return harness.Permanent(err)
		}
		problems, unknown = RuleProblems(rules.Groups, configured)
		if len(problems) == 0 && unknown > 0 {
			return fmt.Errorf("%d rules not evaluated yet (health unknown)", unknown)
		}
		return nil
	})
	var te *harness.TimeoutError
	switch {
	case wait != nil && !errors.As(wait, &te):
		return requestFailed("", harness.Prometheus, base+"/api/v1/rules", want, "", wait)
	case len(problems) > 0:
		return fail("", harness.Prometheus, base+"/api/v1/rules", want, strings.Join(problems, "; "), "", nil)
	case unknown > 0:
		return fail("", harness.Prometheus, base+"/api/v1/rules", want,
			fmt.Sprintf("%d rules never evaluated (health unknown after %s)", unknown, ruleSettle), "", wait)
	}
	return nil
}

// ---- rule_series_exist ----------------------------------------------------------------

// RuleSelector is one vector selector of a rule's expression.
type RuleSelector struct {
	// Text is the selector as PromQL, without offset or @: what
	// /api/v1/labels?match[]= takes.
	Text string
	// Metric is the metric name the selector names ("" when it has none,
	// or matches names by regular expression).
	Metric string
	// Matchers are the label matchers besides the metric name.
	Matchers []*labels.Matcher
}

// absentFuncs take selectors whose series may well not exist: that is
// what they ask.
var absentFuncs = []string{"absent", "absent_over_time"}

// promqlParser is Prometheus' own PromQL parser, with its default options.
var promqlParser = parser.NewParser(parser.Options{})

// RuleSelectors parses a rule's expression with Prometheus' PromQL parser and
// returns its vector selectors, each once, in order; selectors inside
// absent() and absent_over_time() are left out.
func RuleSelectors(expr string) ([]RuleSelector, error) {
	e, err := promqlParser.ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	var out []RuleSelector
	seen := map[string]bool{}
	parser.Inspect(e, func(node parser.Node, path []parser.Node) error {
		vs, ok := node.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		for _, p := range path {
			if c, ok := p.(*parser.Call); ok && c.Func != nil && slices.Contains(absentFuncs, c.Func.Name) {
				return nil
			}
		}
		sel := selectorOf(vs)
		if !seen[sel.Text] {
			seen[sel.Text] = true
			out = append(out, sel)
		}
		return nil
	})
	return out, nil
}

func selectorOf(vs *parser.VectorSelector) RuleSelector {
	var sel RuleSelector
	var parts []string
	for _, m := range vs.LabelMatchers {
		if m.Name == model.MetricNameLabel && m.Type == labels.MatchEqual {
			sel.Metric = m.Value
			continue
		}
		sel.Matchers = append(sel.Matchers, m)
		parts = append(parts, m.String())
	}
	switch {
	case sel.Metric != "" && len(parts) == 0:
		sel.Text = sel.Metric
	case sel.Metric != "":
		sel.Text = sel.Metric + "{" + strings.Join(parts, ",") + "}"
	default:
		sel.Text = "{" + strings.Join(parts, ",") + "}"
	}
	return sel
}

// JudgeSelector decides whether a selector can ever select anything, from
// the label names of the series it matches now (full) and of the series
// with its metric name (byName). A selector that matches series is fine.
// One that matches none is fine too when series of its metric exist and
// carry every label it requires a value of: its values may come (no 5xx
// yet for code=~"5.."). It is hopeless when no series has the metric name
// (the seed's genesis_tests_total_total), or when the series lack a label
// the selector requires (a typo, a label never exported). why says which.
func JudgeSelector(sel RuleSelector, full, byName []string) (ok bool, why string) {
	if len(full) > 0 {
		return true, ""
	}
	if sel.Metric == "" {
		return false, "no series matches it"
	}
	if len(byName) == 0 {
		return false, "no series named " + sel.Metric + " exists"
	}
	var missing []string
	for _, m := range sel.Matchers {
		if !m.Matches("") && !slices.Contains(byName, m.Name) {
			missing = append(missing, m.Name)
		}
	}
	if len(missing) > 0 {
		return false, fmt.Sprintf("series named %s exist, but none has the label %s it requires (they have %s)",
			sel.Metric, strings.Join(missing, ", "), strings.Join(byName, ", "))
	}
	return true, ""
}

// seriesLookback is how far back a series counts as existing: a target
// down for minutes keeps its series (TargetDown says the rest); a series
// absent for an hour cannot feed a rule.
const seriesLookback = time.Hour

func ruleSeriesExist(ctx context.Context, s *harness.Stack) error {
	if err := absent(s, harness.Prometheus); err != nil {
		return err
	}
	prom := s.Prometheus()
	base := s.URL(harness.Prometheus)
	want := fmt.Sprintf("every series each rule's expression selects to exist in Prometheus (seen within the last %s)", seriesLookback)
	rules, err := prom.Rules(ctx)
	if err != nil {
		return requestFailed("", harness.Prometheus, base+"/api/v1/rules", want, "", err)
	}
	// Each rule's selectors, parsed once.
	type ruleSels struct {
		where string
		sels  []RuleSelector
	}
	var all []ruleSels
	var missing []string
	nrules := 0
	// The service's own series come from its /metrics, contract part C: a
	// target whose declared profile leaves part C out is not judged on
	// them (its rules on genesis_* series are the profile's question).
	profile, how := s.Profile()
	ownSeriesServed := profile.Serves(harness.PartC)
	outOfProfile := 0
	for _, g := range rules.Groups {
		for _, r := range ruleStates(g) {
			nrules++
			where := fmt.Sprintf("rule %s/%s (%s)", g.Name, r.Name, g.File)
			sels, err := RuleSelectors(r.Query)
			if err != nil {
				missing = append(missing, fmt.Sprintf("%s: its expression does not parse: %v", where, err))
				continue
			}
			if !ownSeriesServed {
				n := len(sels)
				sels = slices.DeleteFunc(sels, func(sel RuleSelector) bool { return strings.HasPrefix(sel.Metric, "genesis_") })
				outOfProfile += n - len(sels)
			}
			all = append(all, ruleSels{where, sels})
		}
	}
	if outOfProfile > 0 && !slices.ContainsFunc(all, func(rs ruleSels) bool { return len(rs.sels) > 0 }) && len(missing) == 0 {
		return OutOfScope("every selector of the rules is of a genesis_* series, which the target's profile %s (contract parts %s; %s) does not serve (/metrics is contract part C)",
			profile, profile.Parts(), how)
	}
	// The label names of every selector, then of the metric of each that
	// selects nothing: each distinct question asked once, a few at a time
	// (a deployment's rules hold hundreds of selectors).
	end := time.Now()
	lookup := labelLookup{prom: prom, start: end.Add(-seriesLookback), end: end}
	var full []string
	for _, rs := range all {
		for _, sel := range rs.sels {
			full = append(full, sel.Text)
		}
	}
	if err := lookup.fetch(ctx, full); err != nil {
		return lookup.failed(ctx, base, want, err)
	}
	var byName []string
	for _, rs := range all {
		for _, sel := range rs.sels {
			if len(lookup.names[sel.Text]) == 0 && sel.Metric != "" {
				byName = append(byName, sel.Metric)
			}
		}
	}
	if err := lookup.fetch(ctx, byName); err != nil {
		return lookup.failed(ctx, base, want, err)
	}
	selectors := 0
	for _, rs := range all {
		// One line per rule and reason, naming its selectors.
		var whys []string
		bad := map[string][]string{}
		for _, sel := range rs.sels {
			selectors++
			var named []string
			if sel.Metric != "" {
				named = lookup.names[sel.Metric]
			}
			if ok, why := JudgeSelector(sel, lookup.names[sel.Text], named); !ok {
				if _, seen := bad[why]; !seen {
					whys = append(whys, why)
				}
				bad[why] = append(bad[why], sel.Text)
			}
		}
		for _, why := range whys {
			missing = append(missing, fmt.Sprintf("%s selects %s: %s", rs.where, strings.Join(bad[why], " and "), why))
		}
	}
	if nrules == 0 {
		return fail("", harness.Prometheus, base+"/api/v1/rules", want, "no rule loaded: nothing to check (rules_healthy judges that)", "", nil)
	}
	if len(missing) > 0 {
		return fail("", harness.Prometheus, base+"/api/v1/labels", want, strings.Join(missing, "; "), "",
			fmt.Errorf("%d selectors of %d rules checked; a rule on a series that does not exist can never fire, and the monitoring it stands for is blind", selectors, nrules))
	}
	return nil
}

// labelLookups bounds the label-name questions asked at once.
const labelLookups = 8

// labelLookup asks Prometheus for the label names of the series selectors
// match, each selector once.
type labelLookup struct {
	prom       harness.PrometheusClient
	start, end time.Time
	names      map[string][]string
	asked      int
}

// fetch asks about every selector not asked yet, labelLookups at a time,
// and returns the first error.
func (l *labelLookup) fetch(ctx context.Context, selectors []string) error {
	if l.names == nil {
		l.names = map[string][]string{}
	}
	var todo []string
	for _, sel := range selectors {
		if _, ok := l.names[sel]; !ok && !slices.Contains(todo, sel) {
			todo = append(todo, sel)
		}
	}
	var mu sync.Mutex
	var first error
	sem := make(chan struct{}, labelLookups)
	var wg sync.WaitGroup
	for _, sel := range todo {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			ln, err := l.prom.LabelNames(ctx, sel, l.start, l.end)
			names := make([]string, 0, len(ln))
			for _, n := range ln {
				names = append(names, string(n))
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if first == nil {
					first = err
				}
				return
			}
			l.names[sel] = names
			l.asked++
		}()
	}
	wg.Wait()
	return first
}

// failed is the verdict when a question could not be answered: the
// request's failure, or NOT JUDGED when the check's own deadline cut the
// questions short (a slow answer is not a missing series).
func (l *labelLookup) failed(ctx context.Context, base, want string, err error) error {
	if ctx.Err() != nil {
		return CannotJudge("the check's deadline ran out after %d label questions to Prometheus (%s/api/v1/labels): %v; raise %s",
			l.asked, base, err, harness.Env.CheckTimeout)
	}
	return requestFailed("", harness.Prometheus, base+"/api/v1/labels", want, "", err)
}
