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
	LLMURL                                                              string
	GrafanaUser, GrafanaPassword, GrafanaToken                          string
	APIKey, AdminKey, Containers                                        string
	ExpectAgents, ExpectAgentNames, ExpectProduction                    string
	GenesisImage, PrometheusImage, AlertmanagerImage                    string
	NodeExporterImage, GrafanaImage, GenesisFaults                      string
	HTTPTimeout, CheckTimeout, StartTimeout                             string
}{
	Target: "SMOKE_TARGET", ConfigFile: "SMOKE_CONFIG", AllowMutation: "SMOKE_ALLOW_MUTATION",
	A2AURL: "SMOKE_A2A_URL", PrometheusURL: "SMOKE_PROMETHEUS_URL", AlertmanagerURL: "SMOKE_ALERTMANAGER_URL",
	NodeExporterURL: "SMOKE_NODE_EXPORTER_URL", GrafanaURL: "SMOKE_GRAFANA_URL", LLMURL: "SMOKE_LLM_URL",
	GrafanaUser: "SMOKE_GRAFANA_USER", GrafanaPassword: "SMOKE_GRAFANA_PASSWORD", GrafanaToken: "SMOKE_GRAFANA_TOKEN",
	APIKey: "SMOKE_API_KEY", AdminKey: "SMOKE_ADMIN_KEY", Containers: "SMOKE_CONTAINERS",
	ExpectAgents: "SMOKE_EXPECT_AGENTS", ExpectAgentNames: "SMOKE_EXPECT_AGENT_NAMES", ExpectProduction: "SMOKE_EXPECT_PRODUCTION",
	GenesisImage: "SMOKE_GENESIS_IMAGE", PrometheusImage: "SMOKE_PROMETHEUS_IMAGE", AlertmanagerImage: "SMOKE_ALERTMANAGER_IMAGE",
	NodeExporterImage: "SMOKE_NODE_EXPORTER_IMAGE", GrafanaImage: "SMOKE_GRAFANA_IMAGE", GenesisFaults: "SMOKE_GENESIS_FAULTS",
	HTTPTimeout: "SMOKE_HTTP_TIMEOUT", CheckTimeout: "SMOKE_CHECK_TIMEOUT", StartTimeout: "SMOKE_START_TIMEOUT",
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
}

// DefaultTimeouts are sized for a 2-core machine running the whole stack.
var DefaultTimeouts = Timeouts{HTTP: 5 * time.Second, Check: 30 * time.Second, Start: 3 * time.Minute}

// Images names the container image of each component in ephemeral mode.
// An empty Genesis image means "build the reference service from source".
type Images struct {
	Genesis, Prometheus, Alertmanager, NodeExporter, Grafana string
}

// Config is everything a run needs to know about its target.
type Config struct {
	Mode          Mode
	URLs          map[Component]string // live mode: where each component answers
	Containers    map[Component]string // live mode: container names to inspect (SMOKE_CONTAINERS)
	AllowMutation bool                 // live mode: checks that change the target may run

	APIKey, AdminKey                           Secret
	GrafanaUser, GrafanaPassword, GrafanaToken Secret

	Expect        Expect
	Timeouts      Timeouts
	Images        Images
	GenesisFaults string // ephemeral mode: fault knobs the reference service starts with
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
func ConfigFromEnv() (Config, error) { return LoadConfig(os.LookupEnv) }

// LoadConfig reads the configuration through lookup, so tests can feed it.
func LoadConfig(lookup func(string) (string, bool)) (Config, error) {
	get := lookup
	if path, ok := lookup(Env.ConfigFile); ok && path != "" {
		file, err := readEnvFile(path)
		if err != nil {
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
		Expect: Expect{
			Agents:     len(DefaultAgents),
			AgentNames: append([]string(nil), DefaultAgents...),
			Production: boolean(Env.ExpectProduction),
		},
		Timeouts: Timeouts{
			HTTP:  dur(Env.HTTPTimeout, DefaultTimeouts.HTTP),
			Check: dur(Env.CheckTimeout, DefaultTimeouts.Check),
			Start: dur(Env.StartTimeout, DefaultTimeouts.Start),
		},
		Images: Images{
			Genesis:      str(Env.GenesisImage, ""),
			Prometheus:   str(Env.PrometheusImage, DefaultPrometheusImage),
			Alertmanager: str(Env.AlertmanagerImage, DefaultAlertmanagerImage),
			NodeExporter: str(Env.NodeExporterImage, DefaultNodeExporterImage),
			Grafana:      str(Env.GrafanaImage, DefaultGrafanaImage),
		},
		GenesisFaults: str(Env.GenesisFaults, ""),
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
		return nil
	}
	return fmt.Errorf("%s=%q: want %q or %q", Env.Target, c.Mode, Ephemeral, Live)
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

// RedactURL hides a password embedded in a URL (http://user:pass@host).
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "REDACTED")
	}
	return u.String()
}

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
