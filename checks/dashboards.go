package checks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"

	stackfiles "github.com/smokestack-dev/smokestack/fixtures/stack"
	"github.com/smokestack-dev/smokestack/harness"
)

// lineDashboards is the checklist's Grafana line for the staging suite.
const lineDashboards = "Observability Validation: Grafana datasource healthy, the 48-hour monitoring dashboard provisioned and every panel showing data"

// dashboardsGroup is the test function of the dashboard checks.
const dashboardsGroup = "TestDashboards"

// Dashboards is TestDashboards (staging): the 48-hour dashboard the project
// deploys (fixtures/stack/grafana/dashboards/genesis-48h.json) shows data —
// every panel query parses and answers from Prometheus — and, where the
// deployment runs Grafana, the datasource is healthy, the dashboard is the
// provisioned one and its panels get their data through Grafana.
//
// The dashboard judged is the fixture, in live mode too: it is what this
// project deploys, and the Grafana checks compare the deployed one with it.
var Dashboards = []Check{
	{Group: dashboardsGroup, Name: "dashboard_queries_answer", Component: harness.Prometheus, Part: harness.PartC, Line: lineDashboards, Run: dashboardQueriesAnswer},
	{Group: dashboardsGroup, Name: "datasource_healthy", Component: harness.Grafana, Line: lineDashboards, Run: datasourceHealthy},
	{Group: dashboardsGroup, Name: "dashboard_provisioned", Component: harness.Grafana, Line: lineDashboards, Run: dashboardProvisioned},
	// NoPart: the runner would otherwise count it among the part-C checks a
	// narrowed surface fails; it says NOT APPLICABLE itself when the profile
	// lacks part C (the panels chart its metrics).
	{Group: dashboardsGroup, Name: "panels_via_grafana", Component: harness.Grafana, Line: lineDashboards, Run: panelsViaGrafana},
}

// ---- the dashboard ---------------------------------------------------------------

// Dashboard is what the checks read of a Grafana dashboard's JSON model.
type Dashboard struct {
	UID, Title string
	// From and To are the dashboard's default time range ("now-48h", "now").
	From, To string
	Panels   []Panel
}

// Panel is a panel with queries (rows are walked, not listed).
type Panel struct {
	ID         int
	Title      string
	Datasource harness.GrafanaDatasourceRef
	Queries    []PanelQuery
}

// PanelQuery is one target of a panel.
type PanelQuery struct{ RefID, Expr string }

type dashboardJSON struct {
	UID   string `json:"uid"`
	Title string `json:"title"`
	Time  struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"time"`
	Panels []panelJSON `json:"panels"`
}

type panelJSON struct {
	ID         int                           `json:"id"`
	Type       string                        `json:"type"`
	Title      string                        `json:"title"`
	Datasource *harness.GrafanaDatasourceRef `json:"datasource"`
	Targets    []struct {
		RefID      string                        `json:"refId"`
		Expr       string                        `json:"expr"`
		Datasource *harness.GrafanaDatasourceRef `json:"datasource"`
	} `json:"targets"`
	Panels []panelJSON `json:"panels"`
}

// ParseDashboard reads a dashboard's JSON model: its panels with queries,
// those inside rows included, in order.
func ParseDashboard(data []byte) (Dashboard, error) {
	var d dashboardJSON
	if err := json.Unmarshal(data, &d); err != nil {
		return Dashboard{}, fmt.Errorf("dashboard JSON: %w", err)
	}
	out := Dashboard{UID: d.UID, Title: d.Title, From: d.Time.From, To: d.Time.To}
	var walk func([]panelJSON)
	walk = func(ps []panelJSON) {
		for _, p := range ps {
			if len(p.Targets) > 0 {
				panel := Panel{ID: p.ID, Title: p.Title}
				if p.Datasource != nil {
					panel.Datasource = *p.Datasource
				}
				for _, t := range p.Targets {
					if panel.Datasource.UID == "" && t.Datasource != nil {
						panel.Datasource = *t.Datasource
					}
					panel.Queries = append(panel.Queries, PanelQuery{RefID: t.RefID, Expr: t.Expr})
				}
				out.Panels = append(out.Panels, panel)
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	if len(out.Panels) == 0 {
		return out, errors.New("dashboard JSON: no panel with a query")
	}
	return out, nil
}

// FixtureDashboard is the 48-hour dashboard this project deploys.
func FixtureDashboard() (Dashboard, error) {
	data, err := fs.ReadFile(stackfiles.FS, stackfiles.GrafanaDashboard)
	if err != nil {
		return Dashboard{}, err
	}
	d, err := ParseDashboard(data)
	if err != nil {
		return d, fmt.Errorf("%s: %w", stackfiles.GrafanaDashboard, err)
	}
	return d, nil
}

// DatasourceScrapeInterval is the "scrape interval" (jsonData.timeInterval) of
// the Prometheus datasource the project provisions, which Grafana uses for
// $__rate_interval; Grafana's default (15s) when it sets none.
func DatasourceScrapeInterval() time.Duration {
	const grafanaDefault = 15 * time.Second
	data, err := fs.ReadFile(stackfiles.FS, stackfiles.GrafanaDatasource)
	if err != nil {
		return grafanaDefault
	}
	var prov struct {
		Datasources []struct {
			UID      string `yaml:"uid"`
			JSONData struct {
				TimeInterval string `yaml:"timeInterval"`
			} `yaml:"jsonData"`
		} `yaml:"datasources"`
	}
	if yaml.Unmarshal(data, &prov) != nil {
		return grafanaDefault
	}
	for _, ds := range prov.Datasources {
		if ds.UID == stackfiles.DatasourceUID {
			if d, err := model.ParseDuration(ds.JSONData.TimeInterval); err == nil && d > 0 {
				return time.Duration(d)
			}
		}
	}
	return grafanaDefault
}

// ---- Grafana's variables ------------------------------------------------------------

// panelDataPoints is the width Grafana is taken to draw a panel at, in
// data points: $__interval is the time range over it.
const panelDataPoints = 1000

// GrafanaVars are the values Grafana gives its global variables for one
// panel: $__range (the time range), $__interval (the range over the
// panel's data points, rounded as Grafana rounds it, at least the scrape
// interval) and $__rate_interval (max($__interval + scrape interval,
// 4 × scrape interval): a rate window that always holds two samples).
type GrafanaVars struct {
	Range, Interval, RateInterval time.Duration
}

// NewGrafanaVars computes the variables as Grafana does for a time range,
// a panel of maxDataPoints points, and the datasource's scrape interval.
func NewGrafanaVars(rng time.Duration, maxDataPoints int, scrape time.Duration) GrafanaVars {
	if maxDataPoints <= 0 {
		maxDataPoints = panelDataPoints
	}
	if scrape <= 0 {
		scrape = 15 * time.Second
	}
	interval := max(roundInterval(rng/time.Duration(maxDataPoints)), scrape)
	return GrafanaVars{Range: rng, Interval: interval, RateInterval: max(interval+scrape, 4*scrape)}
}

// roundInterval is Grafana's rounding of a computed interval to a
// readable one (its kbn.RoundInterval table).
func roundInterval(d time.Duration) time.Duration {
	ms := time.Millisecond
	steps := []struct{ below, to time.Duration }{
		{10 * ms, 1 * ms}, {15 * ms, 10 * ms}, {35 * ms, 20 * ms}, {75 * ms, 50 * ms}, {150 * ms, 100 * ms},
		{350 * ms, 200 * ms}, {750 * ms, 500 * ms}, {1500 * ms, time.Second}, {3500 * ms, 2 * time.Second},
		{7500 * ms, 5 * time.Second}, {12500 * ms, 10 * time.Second}, {17500 * ms, 15 * time.Second},
		{25 * time.Second, 20 * time.Second}, {45 * time.Second, 30 * time.Second}, {90 * time.Second, time.Minute},
		{210 * time.Second, 2 * time.Minute}, {450 * time.Second, 5 * time.Minute}, {15 * time.Minute, 10 * time.Minute},
		{20 * time.Minute, 15 * time.Minute}, {45 * time.Minute, 20 * time.Minute}, {90 * time.Minute, 30 * time.Minute},
		{150 * time.Minute, time.Hour}, {270 * time.Minute, 2 * time.Hour}, {9 * time.Hour, 3 * time.Hour},
		{24 * time.Hour, 6 * time.Hour}, {7 * 24 * time.Hour, 24 * time.Hour}, {21 * 24 * time.Hour, 7 * 24 * time.Hour},
		{42 * 24 * time.Hour, 30 * 24 * time.Hour},
	}
	for _, s := range steps {
		if d < s.below {
			return s.to
		}
	}
	return 365 * 24 * time.Hour
}

// grafanaVar matches a global variable in its three spellings: $__name,
// ${__name} (with an optional :format) and [[__name]].
var grafanaVar = regexp.MustCompile(`\$__([a-z_]+)\b|\$\{__([a-z_]+)(?::[^}]*)?\}|\[\[__([a-z_]+)\]\]`)

// Expand substitutes Grafana's global time variables in a query; a variable
// it does not know is left as it is (the parser then names it).
func (v GrafanaVars) Expand(expr string) string {
	values := map[string]string{
		"range":            promDuration(v.Range),
		"range_s":          strconv.FormatInt(int64(v.Range/time.Second), 10),
		"range_ms":         strconv.FormatInt(v.Range.Milliseconds(), 10),
		"interval":         promDuration(v.Interval),
		"interval_ms":      strconv.FormatInt(v.Interval.Milliseconds(), 10),
		"rate_interval":    promDuration(v.RateInterval),
		"rate_interval_ms": strconv.FormatInt(v.RateInterval.Milliseconds(), 10),
	}
	return grafanaVar.ReplaceAllStringFunc(expr, func(m string) string {
		sub := grafanaVar.FindStringSubmatch(m)
		name := sub[1] + sub[2] + sub[3]
		if val, ok := values[name]; ok {
			return val
		}
		return m
	})
}

func (v GrafanaVars) String() string {
	return fmt.Sprintf("$__range=%s, $__interval=%s, $__rate_interval=%s", promDuration(v.Range), promDuration(v.Interval), promDuration(v.RateInterval))
}

// promDuration writes a duration as PromQL reads it ("2m2s", "2d").
func promDuration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	return model.Duration(d).String()
}

// promQL is Prometheus' PromQL parser with its default options (the stable
// functions, no experimental ones: a dashboard must not need a flag).
var promQL = parser.NewParser(parser.Options{})

// PanelExpr expands a panel query's variables and parses the result with
// Prometheus' own PromQL parser; it returns the query to send.
func PanelExpr(expr string, v GrafanaVars) (string, error) {
	q := v.Expand(expr)
	if strings.TrimSpace(q) == "" {
		return "", errors.New("empty query")
	}
	if _, err := promQL.ParseExpr(q); err != nil {
		if vs := leftVariable.FindAllString(q, -1); len(vs) > 0 {
			return q, fmt.Errorf("%s: none of Grafana's time variables ($__range, $__interval, $__rate_interval), no value here: %w",
				strings.Join(slices.Compact(vs), ", "), err)
		}
		return q, err
	}
	return q, nil
}

// leftVariable finds a variable left after expansion: $name, ${name}, [[name]].
var leftVariable = regexp.MustCompile(`\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\[\[[A-Za-z_][A-Za-z0-9_]*\]\]`)

// RelativeRange is the length of a Grafana time range "now-48h" .. "now".
func RelativeRange(from, to string) (time.Duration, error) {
	parse := func(s string) (time.Duration, error) {
		s = strings.TrimSpace(s)
		if s == "now" {
			return 0, nil
		}
		rest, ok := strings.CutPrefix(s, "now-")
		if !ok {
			return 0, fmt.Errorf("time %q is not relative to now", s)
		}
		d, err := model.ParseDuration(rest)
		if err != nil {
			return 0, fmt.Errorf("time %q: %w", s, err)
		}
		return time.Duration(d), nil
	}
	f, err := parse(from)
	if err != nil {
		return 0, err
	}
	t, err := parse(to)
	if err != nil {
		return 0, err
	}
	if f <= t {
		return 0, fmt.Errorf("time range %s .. %s is empty", from, to)
	}
	return f - t, nil
}

// DashboardVars are the variables of the dashboard's default time range,
// with the provisioned datasource's scrape interval: what the checks
// expand the panel queries with.
func DashboardVars(d Dashboard) (GrafanaVars, error) {
	rng, err := RelativeRange(d.From, d.To)
	if err != nil {
		return GrafanaVars{}, err
	}
	return NewGrafanaVars(rng, panelDataPoints, DatasourceScrapeInterval()), nil
}

// ---- dashboard_queries_answer ---------------------------------------------------------

// panelProblem is one panel query that shows no data.
type panelProblem struct{ panel, expr, what string }

func (p panelProblem) String() string {
	return fmt.Sprintf("panel %q: %s (query %s)", p.panel, p.what, p.expr)
}

func panelProblemsText(ps []panelProblem) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return problemsText(out)
}

// fixtureFailure is a dashboard fixture that cannot be read: the deploy
// would ship it, so it is a failure, not a defect of the check.
func fixtureFailure(c harness.Component, url, want string, err error) error {
	return fail("", c, url, want, "a dashboard that cannot be read: "+err.Error(), "", nil)
}

// fixtureDashboard is the fixture every dashboard check judges against; a
// fixture that cannot be read is that check's failure, blamed on c at url.
func fixtureDashboard(c harness.Component, url string) (Dashboard, error) {
	d, err := FixtureDashboard()
	if err != nil {
		return Dashboard{}, fixtureFailure(c, url, "the 48-hour dashboard", err)
	}
	return d, nil
}

// fixtureDashboardVars is fixtureDashboard with the variables Grafana
// expands its panel queries with, for the checks that send those queries.
func fixtureDashboardVars(c harness.Component, url string) (Dashboard, GrafanaVars, error) {
	d, err := fixtureDashboard(c, url)
	if err != nil {
		return Dashboard{}, GrafanaVars{}, err
	}
	vars, err := DashboardVars(d)
	if err != nil {
		return Dashboard{}, GrafanaVars{}, fixtureFailure(c, url, "the 48-hour dashboard", err)
	}
	return d, vars, nil
}

// grafanaDashboard is the start of the checks that read Grafana itself:
// out of scope without Grafana, else its base URL and the fixture the
// served dashboard is compared with.
func grafanaDashboard(s *harness.Stack) (base string, d Dashboard, err error) {
	if base, err = componentURL(s, harness.Grafana, ""); err != nil {
		return "", Dashboard{}, err
	}
	d, err = fixtureDashboard(harness.Grafana, base)
	return base, d, err
}

// dashboardQueriesAnswer runs every panel query of the 48-hour dashboard,
// its variables expanded as Grafana would for the dashboard's default
// range, as an instant query against Prometheus: each must parse and
// answer with at least one series (what a panel needs to show something).
// A fresh stack answers rate() and its kind empty until a second scrape, so
// the queries that came back empty are asked again for a few scrape
// intervals (at most half the check's remaining time) before they count.
func dashboardQueriesAnswer(ctx context.Context, s *harness.Stack) error {
	url := s.URL(harness.Prometheus) + "/api/v1/query"
	d, vars, err := fixtureDashboardVars(harness.Prometheus, url)
	if err != nil {
		return err
	}
	want := fmt.Sprintf("every panel query of dashboard %q (%s) parsing and returning data from Prometheus, with %s", d.UID, "fixtures/stack/"+stackfiles.GrafanaDashboard, vars)
	prom := s.Prometheus()
	type query struct {
		panel, expr string
		twoSamples  bool
	}
	var problems []panelProblem
	var queries []query
	for _, p := range d.Panels {
		for _, q := range p.Queries {
			expr, err := PanelExpr(q.Expr, vars)
			if err != nil {
				problems = append(problems, panelProblem{p.Title, q.Expr, "does not parse: " + err.Error()})
				continue
			}
			queries = append(queries, query{p.Title, expr, needsTwoSamples(expr)})
		}
	}
	n := len(queries) + len(problems)
	// ask runs the queries and returns those without data and those
	// Prometheus refused; a Prometheus that does not answer ends the check.
	// The queries go out a few at a time (the dashboard has about twenty,
	// asked one by one they took 2 s); results are read in panel order.
	ask := func(ctx context.Context, qs []query) (empty []query, refused []panelProblem, err error) {
		type answer struct {
			v   model.Value
			err error
		}
		answers := make([]answer, len(qs))
		var wg sync.WaitGroup
		limit := make(chan struct{}, 6)
		for i, q := range qs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				limit <- struct{}{}
				defer func() { <-limit }()
				v, err := prom.Query(ctx, q.expr)
				answers[i] = answer{v, err}
			}()
		}
		wg.Wait()
		for i, q := range qs {
			v, err := answers[i].v, answers[i].err
			var he *harness.HTTPError
			switch {
			case errors.As(err, &he) && (he.Status == 0 || he.Status >= 500 || he.Status == 401 || he.Status == 403):
				return nil, nil, err
			case err != nil:
				refused = append(refused, panelProblem{q.panel, q.expr, "Prometheus refused it: " + shortErr(err)})
			case valueEmpty(v):
				empty = append(empty, q)
			}
		}
		return empty, refused, nil
	}
	empty, refused, err := ask(ctx, queries)
	if err != nil {
		return requestFailed("", harness.Prometheus, url, want, "", err)
	}
	if slices.ContainsFunc(empty, func(q query) bool { return q.twoSamples }) {
		wait := rateWait
		if dl, ok := ctx.Deadline(); ok {
			wait = min(wait, time.Until(dl)/2)
		}
		var askErr error
		// Each round asks on the check's context, not the wait's: a query cut
		// off by the end of the wait would read as Prometheus not answering.
		_ = harness.Eventually(ctx, "the empty panel queries answer (rate() needs two scrapes)", wait, time.Second, func(context.Context) error {
			still, alsoRefused, err := ask(ctx, empty)
			if err != nil {
				askErr = err
				return harness.Permanent(err)
			}
			empty = still
			refused = append(refused, alsoRefused...)
			if len(empty) > 0 {
				return fmt.Errorf("%d without data", len(empty))
			}
			return nil
		})
		if askErr != nil && ctx.Err() == nil {
			return requestFailed("", harness.Prometheus, url, want, "", askErr)
		}
	}
	problems = append(problems, refused...)
	for _, q := range empty {
		problems = append(problems, panelProblem{q.panel, q.expr, "no data"})
	}
	if len(problems) > 0 {
		return fail("", harness.Prometheus, url, want,
			fmt.Sprintf("%d of %d panel queries without data: %s", len(problems), n, panelProblemsText(problems)), "", targetErrors(ctx, s))
	}
	return nil
}

// twoSampleFuncs are the PromQL functions that need two samples in their
// window: empty on a series scraped once.
var twoSampleFuncs = []string{"rate", "irate", "increase", "delta", "idelta", "deriv", "predict_linear", "resets", "changes"}

// needsTwoSamples says whether a (parseable) query calls one of them.
func needsTwoSamples(expr string) bool {
	node, err := promQL.ParseExpr(expr)
	if err != nil {
		return false
	}
	found := false
	parser.Inspect(node, func(n parser.Node, _ []parser.Node) error {
		if c, ok := n.(*parser.Call); ok && slices.Contains(twoSampleFuncs, c.Func.Name) {
			found = true
		}
		return nil
	})
	return found
}

// valueEmpty says whether a query result holds no sample.
func valueEmpty(v model.Value) bool {
	switch x := v.(type) {
	case model.Vector:
		return len(x) == 0
	case model.Matrix:
		return len(x) == 0
	case nil:
		return true
	}
	return false // a scalar or a string is a value
}

// ---- the Grafana checks ---------------------------------------------------------------

// dashboardDatasources are the datasource uids the dashboard's panels name.
func dashboardDatasources(d Dashboard) []string {
	var out []string
	for _, p := range d.Panels {
		if uid := p.Datasource.UID; uid != "" && !slices.Contains(out, uid) {
			out = append(out, uid)
		}
	}
	if len(out) == 0 {
		out = []string{stackfiles.DatasourceUID}
	}
	return out
}

// datasourceHealthy asks Grafana to check each datasource the dashboard's
// panels use (the provisioned Prometheus, uid "prometheus").
func datasourceHealthy(ctx context.Context, s *harness.Stack) error {
	base, d, err := grafanaDashboard(s)
	if err != nil {
		return err
	}
	g := s.Grafana()
	for _, uid := range dashboardDatasources(d) {
		url := base + "/api/datasources/uid/" + uid + "/health"
		want := fmt.Sprintf(`status 200 {"status":"OK"} for datasource %q, which the 48-hour dashboard's panels query`, uid)
		hRep, err := harness.Done(g.DatasourceHealth(ctx, uid))
		if err != nil {
			return requestFailed("", harness.Grafana, url, want, "", err)
		}
		h, resp := hRep.Data, hRep.Resp
		if resp.Status != 200 || !strings.EqualFold(h.Status, "OK") {
			return fail("", harness.Grafana, url, want, fmt.Sprintf("status %d, datasource status %q: %s", resp.Status, h.Status, h.Message),
				"", fmt.Errorf("body: %s", resp.Excerpt()))
		}
	}
	return nil
}

// dashboardProvisioned reads the dashboard by its uid from Grafana and wants
// it provisioned (not a hand-made copy) with every panel of the fixture and
// the same queries.
func dashboardProvisioned(ctx context.Context, s *harness.Stack) error {
	base, want, err := grafanaDashboard(s)
	if err != nil {
		return err
	}
	url := base + "/api/dashboards/uid/" + want.UID
	wantText := fmt.Sprintf("dashboard %q (%q) provisioned from fixtures/stack/%s, with its %d panels and their queries", want.UID, want.Title, stackfiles.GrafanaDashboard, len(want.Panels))
	gdRep, err := harness.Done(s.Grafana().Dashboard(ctx, want.UID))
	if err != nil {
		return requestFailed("", harness.Grafana, url, wantText, "", err)
	}
	gd, resp := gdRep.Data, gdRep.Resp
	got, err := ParseDashboard(gd.Dashboard)
	if err != nil {
		return fail("", harness.Grafana, url, wantText, err.Error(), "", fmt.Errorf("body: %s", resp.Excerpt()))
	}
	problems := compareDashboards(want, got)
	if !gd.Meta.Provisioned {
		problems = append(problems, "meta.provisioned is false: a hand-made or imported copy, which the next deploy does not keep")
	}
	if len(problems) > 0 {
		return fail("", harness.Grafana, url, wantText, problemsText(problems), "", nil)
	}
	return nil
}

// compareDashboards lists how the served dashboard differs from the
// fixture: panels missing (by title) and queries changed.
func compareDashboards(want, got Dashboard) []string {
	var out []string
	if got.UID != want.UID {
		out = append(out, fmt.Sprintf("uid %q, not %q", got.UID, want.UID))
	}
	served := map[string]Panel{}
	for _, p := range got.Panels {
		served[p.Title] = p
	}
	var missing []string
	for _, p := range want.Panels {
		g, ok := served[p.Title]
		if !ok {
			missing = append(missing, fmt.Sprintf("%q", p.Title))
			continue
		}
		wantExprs, gotExprs := exprsOf(p), exprsOf(g)
		for _, e := range wantExprs {
			if !slices.Contains(gotExprs, e) {
				out = append(out, fmt.Sprintf("panel %q lacks query %s (has %s)", p.Title, e, strings.Join(gotExprs, "; ")))
			}
		}
	}
	if len(missing) > 0 {
		out = append([]string{fmt.Sprintf("%d of %d panels missing: %s", len(missing), len(want.Panels), strings.Join(missing, ", "))}, out...)
	}
	return out
}

func exprsOf(p Panel) []string {
	out := make([]string, len(p.Queries))
	for i, q := range p.Queries {
		out[i] = q.Expr
	}
	return out
}

// panelsViaGrafana sends each panel's queries through Grafana's query API,
// as the panel does (Grafana expands the variables itself), for the
// dashboard's default range, and wants data for each.
func panelsViaGrafana(ctx context.Context, s *harness.Stack) error {
	if err := absent(s, harness.Grafana); err != nil {
		return err
	}
	if profile, how := s.Profile(); !profile.Serves(harness.PartC) {
		return OutOfScope("the 48-hour dashboard charts the Genesis metrics of contract part C, which the target's profile %s (%s) does not include", profile, how)
	}
	url := s.URL(harness.Grafana) + "/api/ds/query"
	d, vars, err := fixtureDashboardVars(harness.Grafana, url)
	if err != nil {
		return err
	}
	want := fmt.Sprintf("every panel of dashboard %q answering with data through Grafana's query API (range %s .. %s)", d.UID, d.From, d.To)
	g := s.Grafana()
	var problems []panelProblem
	n := 0
	for _, p := range d.Panels {
		req := harness.GrafanaQueryRequest{From: d.From, To: d.To}
		for _, q := range p.Queries {
			req.Queries = append(req.Queries, harness.GrafanaQuery{RefID: q.RefID, Datasource: p.Datasource, Expr: q.Expr,
				Instant: true, IntervalMs: vars.Interval.Milliseconds(), MaxDataPoints: panelDataPoints})
		}
		n += len(req.Queries)
		resultsRep, err := g.Query(ctx, req)
		if err != nil {
			// No results at all (no answer, refused, not JSON): Grafana's
			// query API is broken, not this panel.
			return requestFailed("", harness.Grafana, url, want+fmt.Sprintf(" (at panel %q)", p.Title), "", err)
		}
		results := resultsRep.Data.Results
		for _, q := range p.Queries {
			r, ok := results[q.RefID]
			switch {
			case !ok:
				problems = append(problems, panelProblem{p.Title, q.Expr, "no result for refId " + q.RefID})
			case r.Error != "":
				problems = append(problems, panelProblem{p.Title, q.Expr, "error: " + r.Error})
			case r.Rows() == 0:
				problems = append(problems, panelProblem{p.Title, q.Expr, "no data"})
			}
		}
	}
	if len(problems) > 0 {
		return fail("", harness.Grafana, url, want, fmt.Sprintf("%d of %d panel queries without data: %s", len(problems), n, panelProblemsText(problems)), "", nil)
	}
	return nil
}
