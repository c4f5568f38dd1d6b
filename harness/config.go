package harness

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Mode says where the stack comes from.
type Mode string

const (
	// Ephemeral starts the stack in containers for this run and removes it after.
	Ephemeral Mode = "ephemeral"
	// Live attaches to a deployment that already runs, by URL.
	Live Mode = "live"
)

// Default images are the official registry images, so a user with a
// registry needs no set-up; machines without one set SMOKE_*_IMAGE to local
// builds (make images-local).
const (
	DefaultPrometheusImage   = "prom/prometheus:v2.53.4"
	DefaultAlertmanagerImage = "prom/alertmanager:v0.27.0"
	DefaultNodeExporterImage = "prom/node-exporter:v1.8.2"
	DefaultGrafanaImage      = "grafana/grafana:12.2.0"
	// DefaultJaegerImage is Jaeger v2's all-in-one (release v1.76.0 /
	// v2.13.0): OTLP/HTTP on 4318, the query API on 16686, memory storage.
	DefaultJaegerImage = "jaegertracing/jaeger:2.13.0"
)

// DisabledImage as an image name turns a component off in ephemeral mode.
const DisabledImage = "none"

// DefaultAgents are the 15 agents the Genesis service registers (CONTRACT.md).
var DefaultAgents = []string{
	"marketing", "builder", "content", "deploy", "support", "qa", "seo", "email",
	"legal", "security", "billing", "analyst", "maintenance", "onboarding", "spec",
}

// Env names every variable the harness reads. The README's table is made
// from the same names; TestEnvDocumented keeps the two in step.
var Env = struct {
	Target, ConfigFile, AllowMutation                                   string
	A2AURL, PrometheusURL, AlertmanagerURL, NodeExporterURL, GrafanaURL string
	LLMURL, JaegerURL, JaegerImage                                      string
	GrafanaUser, GrafanaPassword, GrafanaToken                          string
	PrometheusUser, PrometheusPassword, PrometheusToken                 string
	APIKey, AdminKey, Containers                                        string
	ExpectAgents, ExpectAgentNames, ExpectProduction                    string
	GenesisImage, PrometheusImage, AlertmanagerImage                    string
	NodeExporterImage, GrafanaImage, GenesisFaults                      string
	HTTPTimeout, CheckTimeout, StartTimeout, HealthBudget, Wait         string
	TraceWait                                                           string
	Profile, Require, GenesisSurface, PushgatewayURL                    string
	SuccessWindow                                                       string
	DeployStarted                                                       string
}{
	Target: "SMOKE_TARGET", ConfigFile: "SMOKE_CONFIG", AllowMutation: "SMOKE_ALLOW_MUTATION",
	A2AURL: "SMOKE_A2A_URL", PrometheusURL: "SMOKE_PROMETHEUS_URL", AlertmanagerURL: "SMOKE_ALERTMANAGER_URL",
	NodeExporterURL: "SMOKE_NODE_EXPORTER_URL", GrafanaURL: "SMOKE_GRAFANA_URL", LLMURL: "SMOKE_LLM_URL",
	JaegerURL: "SMOKE_JAEGER_URL", JaegerImage: "SMOKE_JAEGER_IMAGE",
	GrafanaUser: "SMOKE_GRAFANA_USER", GrafanaPassword: "SMOKE_GRAFANA_PASSWORD", GrafanaToken: "SMOKE_GRAFANA_TOKEN",
	PrometheusUser: "SMOKE_PROMETHEUS_USER", PrometheusPassword: "SMOKE_PROMETHEUS_PASSWORD", PrometheusToken: "SMOKE_PROMETHEUS_TOKEN",
	APIKey: "SMOKE_API_KEY", AdminKey: "SMOKE_ADMIN_KEY", Containers: "SMOKE_CONTAINERS",
	ExpectAgents: "SMOKE_EXPECT_AGENTS", ExpectAgentNames: "SMOKE_EXPECT_AGENT_NAMES", ExpectProduction: "SMOKE_EXPECT_PRODUCTION",
	GenesisImage: "SMOKE_GENESIS_IMAGE", PrometheusImage: "SMOKE_PROMETHEUS_IMAGE", AlertmanagerImage: "SMOKE_ALERTMANAGER_IMAGE",
	NodeExporterImage: "SMOKE_NODE_EXPORTER_IMAGE", GrafanaImage: "SMOKE_GRAFANA_IMAGE", GenesisFaults: "SMOKE_GENESIS_FAULTS",
	HTTPTimeout: "SMOKE_HTTP_TIMEOUT", CheckTimeout: "SMOKE_CHECK_TIMEOUT", StartTimeout: "SMOKE_START_TIMEOUT",
	HealthBudget: "SMOKE_HEALTH_BUDGET", Wait: "SMOKE_WAIT", TraceWait: "SMOKE_TRACE_WAIT",
	Profile: "SMOKE_PROFILE", Require: "SMOKE_REQUIRE", GenesisSurface: "SMOKE_GENESIS_SURFACE",
	PushgatewayURL: "SMOKE_PUSHGATEWAY_URL", SuccessWindow: "SMOKE_SUCCESS_WINDOW",
	DeployStarted: "SMOKE_DEPLOY_STARTED",
}

// stackRunVar is what `smokestack up` writes beside the live settings so
// `smokestack down` finds the stack: known, though no check reads it.
const stackRunVar = "SMOKE_STACK_RUN"

// noBrowserVar (=1) lets the report package's browser test skip on a
// machine without chromium. No check reads it, but `SMOKE_NO_BROWSER=1
// make test` must not make every suite refuse its configuration.
const noBrowserVar = "SMOKE_NO_BROWSER"

// knownVars is every SMOKE_* name the suite understands; any other is a
// configuration error (a misspelt URL variable must not leave a component
// silently unconfigured).
func knownVars() []string {
	v := reflect.ValueOf(Env)
	out := []string{stackRunVar, noBrowserVar}
	for i := 0; i < v.NumField(); i++ {
		out = append(out, v.Field(i).String())
	}
	return out
}

// UnknownVars refuses SMOKE_* names the suite does not know, naming the
// closest known one: SMOKE_A2A_ULR is a typo of SMOKE_A2A_URL, not a
// component the user chose to leave out.
func UnknownVars(names []string, where string) error {
	known := knownVars()
	var errs []error
	for _, n := range names {
		if !strings.HasPrefix(n, "SMOKE_") || slices.Contains(known, n) {
			continue
		}
		errs = append(errs, fmt.Errorf("%s%s is not a smokestack variable; did you mean %s?", where, n, closest(n, known)))
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errors.Join(errs...)
}

// closest is the candidate at the smallest edit distance from s.
func closest(s string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		if d := editDistance(s, c); bestD < 0 || d < bestD || (d == bestD && c < best) {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance, with a transposition counted as one edit.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// Expect holds what a healthy deployment looks like. Defaults come from the
// contract; a deployment that differs on purpose says so by configuration,
// never by editing a test.
type Expect struct {
	Agents     int      // registered agents
	AgentNames []string // their names
	Production bool     // the target runs with GENESIS_ENV=production (auth enforced)
}

// Timeouts bound every network call and wait. One struct, documented and
// overridable, in the manner of the Kubernetes e2e framework.
type Timeouts struct {
	HTTP  time.Duration // one request, connect to last byte
	Check time.Duration // one check, all its requests and waits
	Start time.Duration // ephemeral stack start, images to all targets scraped
	// Health is the budget of one GET /health (SMOKE_HEALTH_BUDGET): far
	// under HTTP, because a load balancer's probe gives up long before the
	// suite would, and a /health that blocks while agents load is a defect
	// the real service has.
	Health time.Duration
	// Wait is how long a run may wait for a deployment that is still
	// rolling out (SMOKE_WAIT): the critical checks are retried until they
	// pass or the time is up, then the suite runs. Zero: no waiting.
	Wait time.Duration
	// Trace is how long a trace check waits for a run's spans to reach the
	// trace backend (SMOKE_TRACE_WAIT): the service's export batch (5 s by
	// the OpenTelemetry default) plus the collector's, with room for a
	// loaded host. A service that batches longer needs more, or its traces
	// read as missing.
	Trace time.Duration
}

// DefaultTimeouts are sized for a 2-core machine running the whole stack.
var DefaultTimeouts = Timeouts{HTTP: 5 * time.Second, Check: 30 * time.Second, Start: 3 * time.Minute, Health: time.Second, Trace: 15 * time.Second}

// referenceTraceWait is the trace wait of an ephemeral stack running the
// reference service, whose batch is 1 s (fixtures/genesis telemetry): the
// trace faults of the proofs and of the main job wait for it to pass, so
// three times the batch and the collector's, not the default's 15 s.
const referenceTraceWait = 5 * time.Second

// DefaultSuccessWindow is the checklist's 48-hour monitoring: the window
// the success metrics (TestSuccessMetrics) are judged over by default.
const DefaultSuccessWindow = 48 * time.Hour

// Images names the container image of each component in ephemeral mode.
// An empty Genesis image means "build the reference service from source".
type Images struct {
	Genesis, Prometheus, Alertmanager, NodeExporter, Grafana, Jaeger string
}

// Config is everything a run needs to know about its target.
type Config struct {
	Mode          Mode
	URLs          map[Component]string // live mode: where each component answers
	Containers    map[Component]string // live mode: container names to inspect (SMOKE_CONTAINERS)
	AllowMutation bool                 // live mode: checks that change the target may run

	APIKey, AdminKey                           Secret
	GrafanaUser, GrafanaPassword, GrafanaToken Secret
	// Prometheus behind an authenticating proxy: a bearer token, or basic
	// auth (SMOKE_PROMETHEUS_TOKEN, SMOKE_PROMETHEUS_USER/_PASSWORD).
	PrometheusUser, PrometheusPassword, PrometheusToken Secret

	Expect        Expect
	Timeouts      Timeouts
	Images        Images
	GenesisFaults string // ephemeral mode: fault knobs the reference service starts with

	// Profile is the surface the target serves (SMOKE_PROFILE); empty means
	// discover it once at start (DiscoverProfile).
	Profile Profile
	// Require lists the components the user runs (SMOKE_REQUIRE); nil means
	// the mode's default (DefaultRequire). A required component without a URL
	// is a configuration error, never a row of skipped checks.
	Require []Component
	// StackRun is the run ID of a stack `smokestack up` started (written
	// beside the live settings): a live run attached to the suite's own
	// stack, on the suite's own host.
	StackRun string
	// PushgatewayURL is where each run pushes its results (job smokestack,
	// grouped by suite) for the dashboards; empty: no push.
	PushgatewayURL string
	// GenesisSurface is the surface the ephemeral reference service serves
	// (SMOKE_GENESIS_SURFACE, passed to it as GENESIS_SURFACE); empty is full.
	GenesisSurface Profile
	// SuccessWindow is how far back the 48-hour success metrics look
	// (SMOKE_SUCCESS_WINDOW, default 48h); Stack.SuccessWindow cuts it to
	// the stack's window start.
	SuccessWindow time.Duration
	// DeployStarted is when the deploy under test started
	// (SMOKE_DEPLOY_STARTED, RFC 3339): the log checks read the service's
	// log from there. Zero: from the start of the service's container.
	DeployStarted time.Time
}

// Containers, in SMOKE_REQUIRE, stands for the containers check: the
// engine's view of the monitoring containers (SMOKE_CONTAINERS in live mode).
const Containers Component = "containers"

// Requirable lists what SMOKE_REQUIRE may name.
var Requirable = []Component{Genesis, Prometheus, Alertmanager, NodeExporter, Grafana, LLMPlanner, Jaeger, Containers}

// DefaultLiveRequire is the checklist's stack: what a live target must
// configure unless the user drops a component explicitly.
var DefaultLiveRequire = []Component{Genesis, Prometheus, Alertmanager, NodeExporter, Grafana}

// parseRequire reads "genesis,prometheus,llm,containers"; "llm" names the
// LLM planner upstream.
func parseRequire(s string) ([]Component, error) {
	out := []Component{}
	for _, item := range splitList(s) {
		c := Component(strings.ToLower(item))
		if c == "llm" {
			c = LLMPlanner
		}
		if !slices.Contains(Requirable, c) {
			return nil, fmt.Errorf("unknown component %q (want some of genesis, prometheus, alertmanager, node-exporter, grafana, llm, jaeger, containers)", item)
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// Secret is a credential. It formats as a redaction marker so a Config can
// be logged, printed or put in a report without leaking what it holds.
type Secret string

// String redacts the secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[REDACTED]"
}

// GoString redacts the secret for %#v.
func (s Secret) GoString() string { return `"` + s.String() + `"` }

// Value returns the secret for the one place that must send it.
func (s Secret) Value() string { return string(s) }

// ConfigFromEnv reads the configuration from the process environment, with
// SMOKE_CONFIG naming an optional KEY=VALUE file whose values the
// environment overrides.
func ConfigFromEnv() (Config, error) {
	var names []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		names = append(names, k)
	}
	if err := UnknownVars(names, ""); err != nil {
		return Config{}, err
	}
	return LoadConfig(os.LookupEnv)
}

// LoadConfig reads the configuration through lookup, so tests can feed it.
func LoadConfig(lookup func(string) (string, bool)) (Config, error) {
	get := lookup
	if path, ok := lookup(Env.ConfigFile); ok && path != "" {
		file, err := readEnvFile(path)
		if err != nil {
			return Config{}, err
		}
		names := make([]string, 0, len(file))
		for k := range file {
			names = append(names, k)
		}
		if err := UnknownVars(names, Env.ConfigFile+"="+path+": "); err != nil {
			return Config{}, err
		}
		get = func(k string) (string, bool) {
			if v, ok := lookup(k); ok {
				return v, true
			}
			v, ok := file[k]
			return v, ok
		}
	}
	str := func(k, def string) string {
		if v, ok := get(k); ok && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
		return def
	}
	var errs []error
	dur := func(k string, def time.Duration) time.Duration {
		v := str(k, "")
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a positive duration such as 10s", k, v))
			return def
		}
		return d
	}
	boolean := func(k string) bool {
		v := str(k, "")
		if v == "" {
			return false
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: want 1/0/true/false", k, v))
		}
		return b
	}

	cfg := Config{
		Mode:            Mode(strings.ToLower(str(Env.Target, string(Ephemeral)))),
		URLs:            map[Component]string{},
		AllowMutation:   boolean(Env.AllowMutation),
		APIKey:          Secret(str(Env.APIKey, "")),
		AdminKey:        Secret(str(Env.AdminKey, "")),
		GrafanaUser:     Secret(str(Env.GrafanaUser, "")),
		GrafanaPassword: Secret(str(Env.GrafanaPassword, "")),
		GrafanaToken:    Secret(str(Env.GrafanaToken, "")),

		PrometheusUser:     Secret(str(Env.PrometheusUser, "")),
		PrometheusPassword: Secret(str(Env.PrometheusPassword, "")),
		PrometheusToken:    Secret(str(Env.PrometheusToken, "")),
		Expect: Expect{
			Agents:     len(DefaultAgents),
			AgentNames: append([]string(nil), DefaultAgents...),
			Production: boolean(Env.ExpectProduction),
		},
		Timeouts: Timeouts{
			HTTP:   dur(Env.HTTPTimeout, DefaultTimeouts.HTTP),
			Check:  dur(Env.CheckTimeout, DefaultTimeouts.Check),
			Start:  dur(Env.StartTimeout, DefaultTimeouts.Start),
			Health: dur(Env.HealthBudget, DefaultTimeouts.Health),
			Wait:   dur(Env.Wait, 0),
		},
		Images: Images{
			Genesis:      str(Env.GenesisImage, ""),
			Prometheus:   str(Env.PrometheusImage, DefaultPrometheusImage),
			Alertmanager: str(Env.AlertmanagerImage, DefaultAlertmanagerImage),
			NodeExporter: str(Env.NodeExporterImage, DefaultNodeExporterImage),
			Grafana:      str(Env.GrafanaImage, DefaultGrafanaImage),
			Jaeger:       str(Env.JaegerImage, DefaultJaegerImage),
		},
		GenesisFaults:  str(Env.GenesisFaults, ""),
		Profile:        Profile(strings.ToLower(str(Env.Profile, ""))),
		GenesisSurface: Profile(strings.ToLower(str(Env.GenesisSurface, ""))),
		StackRun:       str(stackRunVar, ""),
		PushgatewayURL: str(Env.PushgatewayURL, ""),
		SuccessWindow:  dur(Env.SuccessWindow, DefaultSuccessWindow),
	}
	traceWait := DefaultTimeouts.Trace
	if cfg.Mode == Ephemeral && cfg.Images.Genesis == "" {
		traceWait = referenceTraceWait
	}
	cfg.Timeouts.Trace = dur(Env.TraceWait, traceWait)
	if v := str(Env.DeployStarted, ""); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s=%q: want an RFC 3339 time such as 2026-11-27T09:30:00Z", Env.DeployStarted, v))
		case t.After(time.Now().Add(time.Minute)):
			errs = append(errs, fmt.Errorf("%s=%q: the deploy cannot have started in the future (a time zone missing?)", Env.DeployStarted, v))
		}
		cfg.DeployStarted = t
	}
	if cfg.Profile != "" && !cfg.Profile.Valid() {
		errs = append(errs, fmt.Errorf("%s=%q: want one of %v", Env.Profile, cfg.Profile, Profiles))
	}
	if cfg.GenesisSurface != "" && !cfg.GenesisSurface.Valid() {
		errs = append(errs, fmt.Errorf("%s=%q: want one of %v", Env.GenesisSurface, cfg.GenesisSurface, Profiles))
	}
	if v, ok := get(Env.Require); ok {
		req, err := parseRequire(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", Env.Require, v, err))
		}
		cfg.Require = req
	}
	if names := str(Env.ExpectAgentNames, ""); names != "" {
		cfg.Expect.AgentNames = splitList(names)
		cfg.Expect.Agents = len(cfg.Expect.AgentNames)
	}
	if n := str(Env.ExpectAgents, ""); n != "" {
		v, err := strconv.Atoi(n)
		if err != nil || v < 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a whole number", Env.ExpectAgents, n))
		} else {
			cfg.Expect.Agents = v
		}
	}
	for _, c := range Components {
		k := c.URLVar()
		v := strings.TrimRight(str(k, ""), "/")
		if v == "" {
			continue
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s=%q: want an http(s) URL such as http://127.0.0.1:8080", k, v))
			continue
		}
		cfg.URLs[c] = v
	}
	if v := str(Env.Containers, ""); v != "" {
		m, err := parseContainers(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", Env.Containers, v, err))
		}
		cfg.Containers = m
	}
	if err := cfg.validate(); err != nil {
		errs = append(errs, err)
	}
	return cfg, errors.Join(errs...)
}

func (c Config) validate() error {
	switch c.Mode {
	case Ephemeral:
		return nil
	case Live:
		if len(c.URLs) == 0 {
			return fmt.Errorf("%s=live names no component: set at least %s (and %s, %s, %s, %s for the monitoring stack)",
				Env.Target, Env.A2AURL, Env.PrometheusURL, Env.AlertmanagerURL, Env.NodeExporterURL, Env.GrafanaURL)
		}
		return c.requiredConfigured()
	}
	return fmt.Errorf("%s=%q: want %q or %q", Env.Target, c.Mode, Ephemeral, Live)
}

// Required lists the components this run must judge: SMOKE_REQUIRE, or the
// mode's default (live: the checklist's stack; ephemeral: what the harness
// starts, which Start records on the stack).
func (c Config) Required() []Component {
	if c.Require != nil {
		return c.Require
	}
	if c.Mode == Live {
		return DefaultLiveRequire
	}
	return nil
}

// requiredConfigured is the live-mode rule: every required component has a
// URL (containers: SMOKE_CONTAINERS), or the run stops before any check.
func (c Config) requiredConfigured() error {
	var missing []string
	for _, comp := range c.Required() {
		switch {
		case comp == Containers:
			if len(c.Containers) == 0 {
				missing = append(missing, Env.Containers)
			}
		case c.URLs[comp] == "":
			missing = append(missing, comp.URLVar())
		}
	}
	if len(missing) == 0 {
		return nil
	}
	req := make([]string, 0, len(c.Required()))
	for _, r := range c.Required() {
		req = append(req, string(r))
	}
	how := "the default for live mode, the checklist's stack"
	if c.Require != nil {
		how = Env.Require
	}
	return fmt.Errorf("required components without a URL: set %s, or drop the component from %s (required now: %s, %s)",
		strings.Join(missing, ", "), Env.Require, strings.Join(req, ","), how)
}

// CanMutate reports whether checks that change the target may run: always on
// a stack this run started, on a live target only when the user opted in.
func (c Config) CanMutate() bool { return c.Mode == Ephemeral || c.AllowMutation }

// String describes the configuration with every secret redacted.
func (c Config) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mode=%s mutation=%t", c.Mode, c.CanMutate())
	keys := make([]string, 0, len(c.URLs))
	for k := range c.URLs {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%s", k, RedactURL(c.URLs[Component(k)]))
	}
	fmt.Fprintf(&b, " api_key=%s grafana_password=%s grafana_token=%s agents=%d production=%t",
		c.APIKey, c.GrafanaPassword, c.GrafanaToken, c.Expect.Agents, c.Expect.Production)
	return b.String()
}

// GoString redacts too: %#v must not be the way a credential gets out.
func (c Config) GoString() string { return "harness.Config{" + c.String() + "}" }

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// parseContainers reads "prometheus,grafana" (container named like the
// component) or "prometheus=mon-prom-1,grafana=mon-grafana-1".
func parseContainers(s string) (map[Component]string, error) {
	out := map[Component]string{}
	for _, item := range splitList(s) {
		comp, name, found := strings.Cut(item, "=")
		if !found {
			name = comp
		}
		c := Component(strings.TrimSpace(comp))
		if !c.Valid() {
			return out, fmt.Errorf("unknown component %q (want one of %v)", c, Components)
		}
		out[c] = strings.TrimSpace(name)
	}
	return out, nil
}

// readEnvFile reads a KEY=VALUE file. A relative path that is not found
// from the working directory is tried from the module root: go test runs a
// package's tests in the package's directory, while users name files from
// the checkout's top.
func readEnvFile(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !filepath.IsAbs(path) {
		data, err = os.ReadFile(filepath.Join(moduleRoot(), path))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Env.ConfigFile, err)
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s=%s line %d: want KEY=VALUE", Env.ConfigFile, path, n)
		}
		out[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"'`)
	}
	return out, sc.Err()
}
