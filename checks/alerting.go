package checks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
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

// ConfiguredGroupsE reads the rule groups of rule files (path -> YAML).
func ConfiguredGroupsE(files map[string][]byte) ([]ConfiguredGroup, error) {
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
		if configured, err = ConfiguredGroupsE(files); err != nil {
			return fail("", harness.Prometheus, base+"/api/v1/rules", "the stack's rule files to parse", err.Error(), "", nil)
		}
		names := make([]string, 0, len(files))
		for p := range files {
			names = append(names, path.Base(p))
		}
		sort.Strings(names)
		want = fmt.Sprintf("every group of the mounted rule files (%s) loaded with all its rules, every rule health ok without lastError", strings.Join(names, ", "))
	}

	info, err := prom.RuntimeinfoE(ctx)
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
	wait := harness.EventuallyE(ctx, "every rule evaluated once", waitWithin(ctx, ruleSettle), alertingPoll, func(context.Context) error {
		rules, err := prom.RulesE(ctx)
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

// RuleSelectorsE parses a rule's expression with Prometheus' PromQL parser and
// returns its vector selectors, each once, in order; selectors inside
// absent() and absent_over_time() are left out.
func RuleSelectorsE(expr string) ([]RuleSelector, error) {
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
	rules, err := prom.RulesE(ctx)
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
			sels, err := RuleSelectorsE(r.Query)
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
			ln, err := l.prom.LabelNamesE(ctx, sel, l.start, l.end)
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

// ---- alertmanager_connected -----------------------------------------------------------

// AlertmanagerTargets are the Alertmanager addresses (host:port) a
// Prometheus configuration sends alerts to (its static_configs).
func AlertmanagerTargets(promConfig []byte) ([]string, error) {
	var cfg struct {
		Alerting struct {
			Alertmanagers []struct {
				StaticConfigs []struct {
					Targets []string `yaml:"targets"`
				} `yaml:"static_configs"`
			} `yaml:"alertmanagers"`
		} `yaml:"alerting"`
	}
	if err := yaml.Unmarshal(promConfig, &cfg); err != nil {
		return nil, err
	}
	var out []string
	for _, am := range cfg.Alerting.Alertmanagers {
		for _, sc := range am.StaticConfigs {
			out = append(out, sc.Targets...)
		}
	}
	return out, nil
}

// amDiscoveryWait bounds the wait for Prometheus to list its Alertmanager
// again after a configuration reload.
const amDiscoveryWait = 10 * time.Second

// hostOf is the host:port of a URL ("" when it has none).
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}

// hostname is the host of a host:port.
func hostname(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

func alertmanagerConnected(ctx context.Context, s *harness.Stack) error {
	if err := absent(s, harness.Prometheus); err != nil {
		return err
	}
	prom := s.Prometheus()
	url := s.URL(harness.Prometheus) + "/api/v1/alertmanagers"
	var expected []string
	if cfg := s.PrometheusConfig(); len(cfg) > 0 {
		var err error
		if expected, err = AlertmanagerTargets(cfg); err != nil || len(expected) == 0 {
			return fail("", harness.Prometheus, url, "the stack's Prometheus configuration to name an Alertmanager",
				fmt.Sprintf("%v (targets %v)", err, expected), "", nil)
		}
	}
	want := "at least one active Alertmanager"
	if len(expected) > 0 {
		want = "the stack's Alertmanager (" + strings.Join(expected, ", ") + ") active"
	}
	// Right after a configuration reload the list is empty until
	// Prometheus' discovery has run again (up to its 5 s reload interval):
	// a missing Alertmanager is looked for again for a few seconds.
	var active, activeHosts []string
	var problem error
	wait := harness.EventuallyE(ctx, "the Alertmanager active in Prometheus", waitWithin(ctx, amDiscoveryWait), alertingPoll, func(context.Context) error {
		ams, err := prom.AlertManagersE(ctx)
		if err != nil {
			problem = requestFailed("", harness.Prometheus, url, want, "", err)
			return harness.Permanent(err)
		}
		var dropped []string
		active, activeHosts = nil, nil
		for _, am := range ams.Active {
			active = append(active, am.URL)
			activeHosts = append(activeHosts, hostOf(am.URL))
		}
		for _, am := range ams.Dropped {
			dropped = append(dropped, am.URL)
		}
		got := fmt.Sprintf("active %v, dropped %v", active, dropped)
		if len(active) == 0 {
			problem = fail("", harness.Prometheus, url, want, got+": Prometheus sends its alerts to no Alertmanager", "",
				errors.New("look at the alerting section of the Prometheus configuration (alerting.alertmanagers) and the dropped ones' relabelling"))
			return problem
		}
		for _, e := range expected {
			if !slices.Contains(activeHosts, e) {
				problem = fail("", harness.Prometheus, url, want, got+": "+e+" is not among them", "", nil)
				return problem
			}
		}
		problem = nil
		return nil
	})
	if wait != nil {
		return problem
	}
	if len(expected) > 0 {
		return nil
	}
	// A live target: the Alertmanager the suite reads should be one of those
	// Prometheus sends to. Addresses differ across networks (a service name
	// inside, a forwarded port outside), so a different host is not yet a
	// failure: the alerts Prometheus fires must then be in that Alertmanager.
	amURL := s.URL(harness.Alertmanager)
	if amURL == "" {
		return nil
	}
	mine := hostname(hostOf(amURL))
	for _, h := range activeHosts {
		if hostname(h) == mine {
			return nil
		}
	}
	firing, err := firingAlerts(ctx, prom)
	if err != nil {
		return requestFailed("", harness.Prometheus, s.URL(harness.Prometheus)+"/api/v1/alerts", want, "", err)
	}
	amAlerts, _, err := s.Alertmanager().AlertsE(ctx)
	if err != nil {
		return requestFailed("", harness.Alertmanager, amURL+"/api/v2/alerts", want, "", err)
	}
	if len(firing) == 0 {
		return CannotJudge("Prometheus sends alerts to %v, not to the host of %s (%s), and fires no alert by which to tell whether they are the same Alertmanager (add the always-firing %s rule)",
			active, harness.Env.AlertmanagerURL, harness.RedactURL(amURL), WatchdogAlert)
	}
	for _, f := range firing {
		for _, a := range amAlerts {
			if labelsWithin(f.Labels, a.Labels) {
				return nil
			}
		}
	}
	return fail("", harness.Alertmanager, amURL+"/api/v2/alerts",
		fmt.Sprintf("the Alertmanager at %s to hold the alerts this Prometheus fires (it sends to %v)", harness.Env.AlertmanagerURL, active),
		fmt.Sprintf("none of the %d firing alerts (%s) among its %d alerts", len(firing), alertNames(firing), len(amAlerts)), "",
		errors.New("Prometheus sends its alerts to another Alertmanager than the one this suite checks, or they do not arrive: compare alerting.alertmanagers with "+harness.Env.AlertmanagerURL))
}

// firingAlerts lists the alerts Prometheus fires (pending ones are not sent).
func firingAlerts(ctx context.Context, prom harness.PrometheusClient) ([]v1.Alert, error) {
	res, err := prom.AlertsE(ctx)
	if err != nil {
		return nil, err
	}
	var out []v1.Alert
	for _, a := range res.Alerts {
		if a.State == v1.AlertStateFiring {
			out = append(out, a)
		}
	}
	return out, nil
}

// labelsWithin says whether every label of p has the same value in am
// (Alertmanager adds Prometheus' external labels).
func labelsWithin(p model.LabelSet, am map[string]string) bool {
	for k, v := range p {
		if am[string(k)] != string(v) {
			return false
		}
	}
	return true
}

func alertNames(as []v1.Alert) string {
	var names []string
	for _, a := range as {
		n := string(a.Labels[model.AlertNameLabel])
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if len(names) > 5 {
		names = append(names[:5], "...")
	}
	return strings.Join(names, ", ")
}

// ---- alert_delivered ------------------------------------------------------------------

// NotifyIntervals are the timings of Alertmanager's root route that bound
// how often a firing alert is notified again.
type NotifyIntervals struct {
	GroupInterval, RepeatInterval time.Duration
}

// Alertmanager's defaults for a route that sets neither.
var defaultNotifyIntervals = NotifyIntervals{GroupInterval: 5 * time.Minute, RepeatInterval: 4 * time.Hour}

// NotifyIntervalsE reads the root route's group_interval and
// repeat_interval from an Alertmanager configuration (defaults where unset).
func NotifyIntervalsE(config string) (NotifyIntervals, error) {
	var cfg struct {
		Route struct {
			GroupInterval  string `yaml:"group_interval"`
			RepeatInterval string `yaml:"repeat_interval"`
		} `yaml:"route"`
	}
	out := defaultNotifyIntervals
	if err := yaml.Unmarshal([]byte(config), &cfg); err != nil {
		return out, err
	}
	for _, f := range []struct {
		raw string
		dst *time.Duration
	}{{cfg.Route.GroupInterval, &out.GroupInterval}, {cfg.Route.RepeatInterval, &out.RepeatInterval}} {
		if f.raw == "" {
			continue
		}
		d, err := model.ParseDuration(f.raw)
		if err != nil {
			return out, err
		}
		*f.dst = time.Duration(d)
	}
	return out, nil
}

// FreshWithin is how recently a receiver must have heard of a firing
// alert: Alertmanager notifies it again every repeat_interval, at a group
// flush (every group_interval), and a failed notification is retried at
// the next flush; 5 s more for the delivery itself.
func (n NotifyIntervals) FreshWithin() time.Duration {
	return n.RepeatInterval + 2*n.GroupInterval + 5*time.Second
}

// deliveryWait bounds how long alert_delivered waits for the Watchdog to
// show at each stage (a stack that started or reloaded seconds ago).
const deliveryWait = 20 * time.Second

// LatestFiring finds the latest notification in which a firing alert named
// alertname arrived; ok is false when none did.
func LatestFiring(notes []harness.SinkNotification, alertname string) (n harness.SinkNotification, ok bool) {
	for _, x := range notes {
		for _, a := range x.Alerts {
			if a.Labels[string(model.AlertNameLabel)] == alertname && a.Status == "firing" && (!ok || x.ReceivedAt.After(n.ReceivedAt)) {
				n, ok = x, true
			}
		}
	}
	return n, ok
}

// alertDelivered follows the always-firing Watchdog along the pipeline:
// Prometheus fires it, Alertmanager holds it active (not silenced, not
// inhibited) for a receiver, and — on a stack that runs the webhook sink —
// the receiver heard of it recently. Read-only on every target.
func alertDelivered(ctx context.Context, s *harness.Stack) error {
	if err := absent(s, harness.Alertmanager); err != nil {
		return err
	}
	if err := absent(s, harness.Prometheus); err != nil {
		return err
	}
	prom, am := s.Prometheus(), s.Alertmanager()
	promURL, amURL := s.URL(harness.Prometheus), s.URL(harness.Alertmanager)
	filter := fmt.Sprintf("%s=%q", model.AlertNameLabel, WatchdogAlert)
	var last error
	// Each look runs on the check's context, not the wait's shrinking one: a
	// request cut off by the end of the wait is no evidence of anything.
	wait := harness.EventuallyE(ctx, "the "+WatchdogAlert+" alert delivered", waitWithin(ctx, deliveryWait), alertingPoll, func(context.Context) error {
		last = watchdogDelivered(ctx, s, prom, am, promURL, amURL, filter)
		var f *Failure
		if errors.As(last, &f) && f.Evidence != nil {
			return permanentIfUnanswered(f.Evidence)
		}
		return last
	})
	if wait == nil {
		return nil
	}
	if last != nil {
		return last
	}
	return wait
}

// watchdogDelivered is one look along the pipeline.
func watchdogDelivered(ctx context.Context, s *harness.Stack, prom harness.PrometheusClient, am harness.AlertmanagerClient, promURL, amURL, filter string) error {
	want := fmt.Sprintf("the always-firing %s alert firing in Prometheus", WatchdogAlert)
	firing, err := firingAlerts(ctx, prom)
	if err != nil {
		return requestFailed("", harness.Prometheus, promURL+"/api/v1/alerts", want, "", err)
	}
	var watchdog *v1.Alert
	for i := range firing {
		if firing[i].Labels[model.AlertNameLabel] == WatchdogAlert {
			watchdog = &firing[i]
		}
	}
	if watchdog == nil {
		return fail("", harness.Prometheus, promURL+"/api/v1/alerts", want,
			fmt.Sprintf("no %s among the %d firing alerts (%s)", WatchdogAlert, len(firing), alertNames(firing)), "",
			errors.New("without an always-firing alert nothing proves the alerting pipeline works: no alert would mean all is well or all is broken alike; "+
				"add the Watchdog rule (fixtures/stack/rules/genesis.rules.yml) and check rules_healthy"))
	}

	want = fmt.Sprintf("%s active in Alertmanager (not silenced, not inhibited) for a receiver", WatchdogAlert)
	alerts, resp, err := am.AlertsE(ctx, filter)
	if err != nil {
		return requestFailed("", harness.Alertmanager, amURL+"/api/v2/alerts", want, "", err)
	}
	var active *harness.AlertmanagerAlert
	var seen []string
	for i, a := range alerts {
		if a.Labels[string(model.AlertNameLabel)] != WatchdogAlert {
			continue
		}
		seen = append(seen, fmt.Sprintf("state %q silenced by %v inhibited by %v receivers %v", a.Status.State, a.Status.SilencedBy, a.Status.InhibitedBy, a.ReceiverNames()))
		if a.Status.State == "active" && len(a.Receivers) > 0 {
			active = &alerts[i]
		}
	}
	if active == nil {
		got := fmt.Sprintf("no %s alert: Prometheus fires it but it does not reach Alertmanager", WatchdogAlert)
		if len(seen) > 0 {
			got = fmt.Sprintf("%s %s", WatchdogAlert, strings.Join(seen, "; "))
		}
		return fail("", harness.Alertmanager, amURL+"/api/v2/alerts", want, got, "", errors.New("body: "+resp.Excerpt()))
	}

	if !s.Has(harness.AlertSink) {
		// A live target's receivers are its own: Alertmanager's word that
		// it routes the alert to one is what the suite can read.
		return nil
	}
	st, _, err := am.StatusE(ctx)
	if err != nil {
		return requestFailed("", harness.Alertmanager, amURL+"/api/v2/status", "the routing intervals of Alertmanager's configuration", "", err)
	}
	iv, err := NotifyIntervalsE(st.Config.Original)
	if err != nil {
		return fail("", harness.Alertmanager, amURL+"/api/v2/status", "a configuration with a readable route", err.Error(), "", nil)
	}
	fresh := iv.FreshWithin()
	sinkURL := s.URL(harness.AlertSink) + "/alerts"
	want = fmt.Sprintf("a firing %s notification received by the webhook sink within the last %s (repeat_interval %s + 2 x group_interval %s + 5s)",
		WatchdogAlert, fresh, iv.RepeatInterval, iv.GroupInterval)
	rec, _, err := s.AlertSink().RecordE(ctx)
	if err != nil {
		return fail("", harness.AlertSink, sinkURL, want, "the receiver does not answer", "",
			errors.Join(err, notificationFailures(ctx, s)))
	}
	n, ok := LatestFiring(rec.Notifications, WatchdogAlert)
	if !ok {
		return fail("", harness.AlertSink, sinkURL, want,
			fmt.Sprintf("no %s notification among the %d the sink received since it started at %s", WatchdogAlert, rec.Received, rec.StartedAt.Format(time.RFC3339)), "",
			notificationFailures(ctx, s))
	}
	if age := rec.Now.Sub(n.ReceivedAt); age > fresh {
		return fail("", harness.AlertSink, sinkURL, want,
			fmt.Sprintf("the last one %s ago (at %s, receiver %q)", age.Round(time.Second), n.ReceivedAt.Format(time.RFC3339), n.Receiver), "",
			notificationFailures(ctx, s))
	}
	return nil
}

// notificationFailures is Alertmanager's own count of failed
// notifications per integration, as evidence of why nothing arrived (nil
// when there are none or they cannot be read).
func notificationFailures(ctx context.Context, s *harness.Stack) error {
	m := harness.MetricsClient{Requester: s.Alertmanager().Requester}
	fams, _, err := m.ScrapeE(ctx, "/metrics")
	if err != nil {
		return nil
	}
	f, ok := fams["alertmanager_notifications_failed_total"]
	if !ok {
		return nil
	}
	var parts []string
	for _, mt := range f.GetMetric() {
		v := mt.GetCounter().GetValue()
		if v == 0 {
			continue
		}
		var ls []string
		for _, l := range mt.GetLabel() {
			ls = append(ls, l.GetName()+"="+l.GetValue())
		}
		parts = append(parts, fmt.Sprintf("%s: %g", strings.Join(ls, ","), v))
	}
	if len(parts) == 0 {
		return nil
	}
	return fmt.Errorf("failed notifications counted by Alertmanager (alertmanager_notifications_failed_total): %s; its log says why", strings.Join(parts, "; "))
}

// ---- config_valid ---------------------------------------------------------------------

// maxToolOutput bounds the validator output a failure quotes.
const maxToolOutput = 1500

// toolRun is one validator run: what, where, and its answer.
type toolRun struct {
	comp harness.Component
	cmd  []string
}

// FlagValue finds --name=value or --name value in a command line.
func FlagValue(cmd []string, name string) (string, bool) {
	for i, a := range cmd {
		for _, p := range []string{"--" + name, "-" + name} {
			if v, ok := strings.CutPrefix(a, p+"="); ok {
				return v, true
			}
			if a == p && i+1 < len(cmd) {
				return cmd[i+1], true
			}
		}
	}
	return "", false
}

// defaultAlertmanagerConfig is Alertmanager's --config.file default,
// relative to its working directory.
const defaultAlertmanagerConfig = "alertmanager.yml"

// configValid runs the real validators in the components' own containers:
// promtool check config (the configuration file Prometheus was started
// with, and the rule files it names), promtool check rules (every rule file
// Prometheus loaded) and amtool check-config (Alertmanager's
// --config.file). Files on disk are what the next reload or restart loads:
// a broken one does not show in what runs now.
func configValid(ctx context.Context, s *harness.Stack) error {
	if err := absent(s, harness.Prometheus); err != nil {
		return err
	}
	var notJudged []string
	var runs []toolRun
	if s.ContainerName(harness.Prometheus) == "" {
		notJudged = append(notJudged, fmt.Sprintf("promtool: no container of Prometheus is known on this %s target (set %s=prometheus=CONTAINER with DOCKER_HOST at its engine)", s.Mode(), harness.Env.Containers))
	} else {
		prom := s.Prometheus()
		base := s.URL(harness.Prometheus)
		flags, err := prom.FlagsE(ctx)
		if err != nil {
			return requestFailed("", harness.Prometheus, base+"/api/v1/status/flags", "the configuration file Prometheus runs with (config.file)", "", err)
		}
		cfgFile := flags["config.file"]
		if cfgFile == "" {
			return fail("", harness.Prometheus, base+"/api/v1/status/flags", "a config.file flag", "none", "", nil)
		}
		runs = append(runs, toolRun{harness.Prometheus, []string{"promtool", "check", "config", cfgFile}})
		rules, err := prom.RulesE(ctx)
		if err != nil {
			return requestFailed("", harness.Prometheus, base+"/api/v1/rules", "the rule files Prometheus loaded", "", err)
		}
		var files []string
		for _, g := range rules.Groups {
			if g.File != "" && !slices.Contains(files, g.File) {
				files = append(files, g.File)
			}
		}
		sort.Strings(files)
		if len(files) > 0 {
			runs = append(runs, toolRun{harness.Prometheus, append([]string{"promtool", "check", "rules"}, files...)})
		}
	}
	if s.Has(harness.Alertmanager) {
		if s.ContainerName(harness.Alertmanager) == "" {
			notJudged = append(notJudged, fmt.Sprintf("amtool: no container of Alertmanager is known on this %s target (set %s=alertmanager=CONTAINER with DOCKER_HOST at its engine)", s.Mode(), harness.Env.Containers))
		} else {
			cmd, _, err := s.ContainerCommandE(ctx, harness.Alertmanager)
			if err != nil {
				return fail("", harness.Docker, harness.DockerHost(), "the Alertmanager container's command line (its --config.file)", "no answer from the engine", "", err)
			}
			cfgFile, ok := FlagValue(cmd[1:], "config.file")
			if !ok {
				cfgFile = defaultAlertmanagerConfig
			}
			runs = append(runs, toolRun{harness.Alertmanager, []string{"amtool", "check-config", cfgFile}})
		}
	}

	var problems, outputs, passed []string
	where := harness.Prometheus
	for _, r := range runs {
		// By name, on the container's PATH: /bin in the official images.
		res, err := s.ExecE(ctx, r.comp, r.cmd...)
		var missing *harness.ToolMissingError
		var noContainer *harness.NoContainerError
		switch {
		case errors.As(err, &missing), errors.As(err, &noContainer):
			notJudged = append(notJudged, fmt.Sprintf("%s: %v", r.cmd[0], err))
		case err != nil:
			if len(problems) == 0 {
				where = r.comp
			}
			problems = append(problems, fmt.Sprintf("%s could not run in the %s container %s", strings.Join(r.cmd, " "), r.comp.Title(), res.Container))
			outputs = append(outputs, err.Error())
		case res.ExitCode != 0:
			if len(problems) == 0 {
				where = r.comp
			}
			problems = append(problems, fmt.Sprintf("%s exit %d in the %s container %s", strings.Join(r.cmd, " "), res.ExitCode, r.comp.Title(), res.Container))
			outputs = append(outputs, r.cmd[0]+" says: "+clipOutput(res.Output, maxToolOutput))
		default:
			passed = append(passed, strings.Join(r.cmd, " "))
		}
	}
	if len(problems) > 0 {
		ev := fmt.Sprintf("%s\n    passed: %s", strings.Join(outputs, "\n    "), strings.Join(passed, "; "))
		if len(notJudged) > 0 {
			ev += "; not run: " + strings.Join(notJudged, "; ")
		}
		return fail("", where, "docker exec "+s.ContainerName(where)+" (engine "+harness.DockerHost()+")",
			"promtool check config, promtool check rules and amtool check-config to succeed on the files the components run with "+
				"(what their next reload or restart loads)",
			strings.Join(problems, "; "), "", errors.New(ev))
	}
	if len(notJudged) > 0 {
		return CannotJudge("%s", strings.Join(notJudged, "; "))
	}
	return nil
}

// clipOutput shortens s to at most n bytes, saying so.
func clipOutput(s string, n int) string {
	s = strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " | ")), " ")
	if len(s) <= n {
		return s
	}
	return s[:n] + "… (cut)"
}
