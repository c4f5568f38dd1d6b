package harness

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// Stack is one deployment under test: where each component answers, what is
// absent and why, and (ephemeral mode) the containers behind it.
type Stack struct {
	cfg Config

	mu         sync.RWMutex
	urls       map[Component]string
	absent     map[Component]string // component -> why it is not part of this stack
	containers map[Component]*testcontainers.DockerContainer
	names      map[Component]string // container names the containers check inspects
	network    *testcontainers.DockerNetwork
	runID      string
	promConfig []byte            // the configuration Prometheus started with
	ruleFiles  map[string][]byte // the rule files mounted into Prometheus, by their path there
	docker     *client.Client
	closers    []func(context.Context) error // in the order registered; Close runs them backwards
	removers   []func(context.Context) error // one per container; Close runs them at once, first

	profile    Profile // the surface Genesis serves: declared or discovered
	profileHow string  // how the profile was found, for the start line
	elsewhere  bool    // judged as if on a host of its own (AsElsewhere)

	unreachable map[Component]string // components that did not answer at start (Preflight), and why

	// windowStart, when set, is where the success metrics' window begins
	// at the latest (WithWindowStart): what came before it is not judged.
	windowStart time.Time
	deploy      *deployMark // a deploy start declared at run time (MarkDeployStarted), shared with views
	readThrough *logMarks   // where whole-log readers have read to (LogReadThrough), shared with views
}

// Open gives the stack the configuration describes: it starts one in
// ephemeral mode and attaches to one in live mode. Like testcontainers'
// Run, it returns the stack even on error so the caller can Close it.
func Open(ctx context.Context, cfg Config, opts ...Option) (*Stack, error) {
	var s *Stack
	var err error
	if cfg.Mode == Live {
		s, err = Attach(cfg)
	} else {
		s, err = Start(ctx, cfg, opts...)
	}
	if err != nil {
		return s, err
	}
	return s, s.ResolveProfile(ctx)
}

// ResolveProfile settles the stack's profile once: SMOKE_PROFILE when set,
// otherwise discovered by probing each surface once (DiscoverProfile).
// An unreachable Genesis cannot be discovered: the profile falls back to
// a2a, the part every Genesis serves, and says so, so that the health
// checks judge the outage instead of the run stopping before them.
func (s *Stack) ResolveProfile(ctx context.Context) error {
	if p := s.cfg.Profile; p != "" {
		s.setProfile(p, Env.Profile+"="+string(p))
		return nil
	}
	if !s.Has(Genesis) {
		s.setProfile(ProfileA2A, "no Genesis in this stack")
		return nil
	}
	p, how, err := DiscoverProfile(ctx, s.Genesis())
	var h *HTTPError
	switch {
	case err == nil:
		s.setProfile(p, "discovered: "+how)
	case errors.As(err, &h) && h.Status == 0:
		s.setProfile(ProfileA2A, fmt.Sprintf("discovery failed (%v); set %s to judge parts B and C", err, Env.Profile))
	default:
		return fmt.Errorf("cannot tell which contract parts the target serves: %w; set %s=%s|%s|%s",
			err, Env.Profile, ProfileA2A, ProfileOrchestration, ProfileFull)
	}
	return nil
}

func (s *Stack) setProfile(p Profile, how string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.profile, s.profileHow = p, how
}

// Profile is the surface the target serves and how that was established.
// Before ResolveProfile it is full, declared by nobody: only tests that
// build a stack by hand see that.
func (s *Stack) Profile() (Profile, string) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.profile == "" {
		return ProfileFull, "not resolved"
	}
	return s.profile, s.profileHow
}

// OnSuiteHost says whether the stack runs on the machine running the suite:
// an ephemeral stack, or one `smokestack up` started (SMOKE_STACK_RUN in
// its settings). There the host's last minute is the suite's own work.
func (s *Stack) OnSuiteHost() bool {
	return !s.elsewhere && (s.cfg.Mode == Ephemeral || s.cfg.StackRun != "")
}

// AsElsewhere is a view of the same stack judged as if it ran on a host of
// its own (a live deployment's): how the fault proofs ask "and if this
// host reading were a production host's?" of one running stack.
func (s *Stack) AsElsewhere() *Stack {
	c := s.view()
	c.elsewhere = true
	return c
}

// WithProfile is a view of the same stack judged as another profile: how the
// fault proofs ask "and if the user had declared a2a?" of one running stack.
func (s *Stack) WithProfile(p Profile, how string) *Stack {
	c := s.view()
	c.profile, c.profileHow = p, how
	return c
}

// WithWindowStart is a view of the same stack whose success-metric window
// (SuccessWindow) begins no earlier than start: the synthetic load's start
// on an ephemeral stack, whose age holds other tests' drills, and each
// fault's start in the proofs, so that one fault's errors are not judged
// under the next. The zero time judges the whole SMOKE_SUCCESS_WINDOW.
func (s *Stack) WithWindowStart(start time.Time) *Stack {
	c := s.view()
	c.windowStart = start
	return c
}

// view is a copy of the stack sharing its components (what Redirect
// changes shows in both), for the With* views.
func (s *Stack) view() *Stack {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return &Stack{cfg: s.cfg, urls: s.urls, absent: s.absent, containers: s.containers, names: s.names,
		network: s.network, runID: s.runID, promConfig: s.promConfig, profile: s.profile, profileHow: s.profileHow,
		unreachable: s.unreachable, windowStart: s.windowStart, deploy: s.deploy, readThrough: s.readThrough, ruleFiles: s.ruleFiles, elsewhere: s.elsewhere}
}

// SuccessWindow is the range the success metrics are judged over at now:
// SMOKE_SUCCESS_WINDOW, cut to the window start (WithWindowStart) when that
// is later, in whole milliseconds (at least one); and how it was set, for
// the failure messages.
func (s *Stack) SuccessWindow(now time.Time) (time.Duration, string) {
	w := s.cfg.SuccessWindow
	if w <= 0 {
		w = DefaultSuccessWindow
	}
	how := fmt.Sprintf("%s=%s", Env.SuccessWindow, w)
	s.mu.RLock()
	start := s.windowStart
	s.mu.RUnlock()
	if !start.IsZero() {
		if since := now.Sub(start); since < w {
			w = since
			how = fmt.Sprintf("from %s, where this run's window starts; %s=%s reaches further back", start.UTC().Format(time.RFC3339), Env.SuccessWindow, s.cfg.SuccessWindow)
		}
	}
	// To the millisecond, PromQL's finest range, and evaluated at now
	// (PrometheusClient.QueryAt): a window cut to the start neither
	// reaches back before it (whole seconds rounded up would judge a
	// sample from before the start, another fault's or the previous
	// run's) nor starts after it (rounded down, it would drop the scrape
	// the synthetic load waits for right after its start, the baseline
	// every count grows from).
	w = w.Truncate(time.Millisecond)
	if w < time.Millisecond {
		w = time.Millisecond
	}
	return w, how
}

// Attach describes a running deployment by its URLs. Components without a
// URL are absent, and their checks skip saying which variable to set.
func Attach(cfg Config) (*Stack, error) {
	s := newStack(cfg)
	for _, c := range Components {
		if u, ok := cfg.URLs[c]; ok {
			s.urls[c] = u
		} else {
			s.absent[c] = fmt.Sprintf("%s is not part of this live target: %s omits it and %s is unset", c.Title(), requireText(cfg), c.URLVar())
		}
	}
	for c, n := range cfg.Containers {
		s.names[c] = n
	}
	if err := cfg.validate(); err != nil {
		return s, err
	}
	return s, nil
}

func newStack(cfg Config) *Stack {
	return &Stack{cfg: cfg, urls: map[Component]string{}, absent: map[Component]string{},
		containers: map[Component]*testcontainers.DockerContainer{}, names: map[Component]string{}, deploy: &deployMark{},
		readThrough: &logMarks{at: map[string]time.Time{}}}
}

// Config is the configuration the stack was opened with (secrets included,
// as Secret values that redact themselves when printed).
func (s *Stack) Config() Config { return s.cfg }

// Mode says whether this run started the stack or attached to it.
func (s *Stack) Mode() Mode { return s.cfg.Mode }

// CanMutate reports whether checks that change the target may run.
func (s *Stack) CanMutate() bool { return s.cfg.CanMutate() }

// Has reports whether the component is part of this stack. Containers is
// there when the suite knows container names to inspect.
func (s *Stack) Has(c Component) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if c == Containers {
		return len(s.names) > 0
	}
	_, ok := s.urls[c]
	return ok
}

// Requires reports whether the user requires the component (SMOKE_REQUIRE
// or the mode's default); an ephemeral stack requires what it started.
func (s *Stack) Requires(c Component) bool {
	if r := s.cfg.Required(); r != nil {
		return slices.Contains(r, c)
	}
	return s.Has(c)
}

func requireText(cfg Config) string {
	if cfg.Require == nil {
		return Env.Require + " (unset: the checklist's stack)"
	}
	names := make([]string, 0, len(cfg.Require))
	for _, c := range cfg.Require {
		names = append(names, string(c))
	}
	return Env.Require + "=" + strings.Join(names, ",")
}

// Absent says why a component is not part of this stack ("" if it is).
func (s *Stack) Absent(c Component) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if c == Containers {
		if len(s.names) > 0 {
			return ""
		}
		return fmt.Sprintf("no containers to inspect: %s omits containers and %s is unset", requireText(s.cfg), Env.Containers)
	}
	if _, ok := s.urls[c]; ok {
		return ""
	}
	if r := s.absent[c]; r != "" {
		return r
	}
	return c.Title() + " is not part of this stack"
}

// URL is where the component answers ("" when absent).
func (s *Stack) URL(c Component) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.urls[c]
}

// ContainerNames maps each component whose container the suite may inspect to
// the container's name: the containers this run started, or SMOKE_CONTAINERS.
func (s *Stack) ContainerNames() map[Component]string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[Component]string, len(s.names))
	for c, n := range s.names {
		out[c] = n
	}
	return out
}

// Docker returns a client for the engine that runs the stack's containers.
func (s *Stack) Docker() (*client.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.docker != nil {
		return s.docker, nil
	}
	cli, err := DockerClient()
	if err != nil {
		return nil, err
	}
	s.docker = cli
	return cli, nil
}

func (s *Stack) requester(c Component) Requester {
	return Requester{Component: c, Base: s.URL(c), Timeout: s.cfg.Timeouts.HTTP, Header: http.Header{}}
}

// Genesis is a client for the A2A service; it sends the API key when one is configured.
func (s *Stack) Genesis() GenesisClient {
	q := s.requester(Genesis)
	if k := s.cfg.APIKey.Value(); k != "" {
		q.Header.Set("X-API-Key", k)
	}
	return GenesisClient{q}
}

// Prometheus is a client for Prometheus, with its credentials when
// configured (a Prometheus behind an authenticating proxy).
func (s *Stack) Prometheus() PrometheusClient {
	q := s.requester(Prometheus)
	setAuth(q.Header, s.cfg.PrometheusToken, s.cfg.PrometheusUser, s.cfg.PrometheusPassword)
	p, err := newPrometheusClient(q)
	if err != nil {
		// Only a malformed base URL fails here, and Config rejects those.
		panic(err)
	}
	return p
}

// AlertSink is a client for the alert webhook sink of an ephemeral stack
// (Has(AlertSink) says whether there is one).
func (s *Stack) AlertSink() AlertSinkClient { return AlertSinkClient{s.requester(AlertSink)} }

// Alertmanager is a client for Alertmanager.
func (s *Stack) Alertmanager() AlertmanagerClient {
	return AlertmanagerClient{s.requester(Alertmanager)}
}

// NodeExporter is a client for node-exporter's exposition.
func (s *Stack) NodeExporter() MetricsClient { return MetricsClient{s.requester(NodeExporter)} }

// GenesisMetrics is a client for the A2A service's /metrics exposition.
func (s *Stack) GenesisMetrics() MetricsClient { return MetricsClient{s.requester(Genesis)} }

// Grafana is a client for Grafana, with its credentials when configured.
func (s *Stack) Grafana() GrafanaClient {
	q := s.requester(Grafana)
	setAuth(q.Header, s.cfg.GrafanaToken, s.cfg.GrafanaUser, s.cfg.GrafanaPassword)
	return GrafanaClient{q}
}

// setAuth sets a bearer token, or else basic auth, when configured.
func setAuth(h http.Header, token, user, password Secret) {
	switch {
	case token != "":
		h.Set("Authorization", "Bearer "+token.Value())
	case user != "":
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		r.SetBasicAuth(user.Value(), password.Value())
		h.Set("Authorization", r.Header.Get("Authorization"))
	}
}

// Describe is a one-line summary for logs: mode and URLs, secrets redacted.
func (s *Stack) Describe() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	keys := make([]string, 0, len(s.urls))
	for c := range s.urls {
		keys = append(keys, string(c))
	}
	sort.Strings(keys)
	out := fmt.Sprintf("%s stack", s.cfg.Mode)
	for _, k := range keys {
		out += fmt.Sprintf(" %s=%s", k, RedactURL(s.urls[Component(k)]))
	}
	for _, c := range Components {
		if _, ok := s.urls[c]; !ok {
			out += fmt.Sprintf(" %s=absent", c)
		}
	}
	return out
}

// Close removes what Start created (nothing for a live stack). It is safe
// to call more than once and on a stack whose start failed half-way. The
// containers go at once (a stack's seven one after another took 6 s of
// every proof's end), then what they stood in (the network).
func (s *Stack) Close(ctx context.Context) error {
	s.mu.Lock()
	closers, removers := s.closers, s.removers
	s.closers, s.removers = nil, nil
	docker := s.docker
	s.docker = nil
	s.mu.Unlock()
	var (
		errs []error
		mu   sync.Mutex
		wg   sync.WaitGroup
	)
	for _, remove := range removers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := remove(ctx); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for i := len(closers) - 1; i >= 0; i-- {
		if err := closers[i](ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if docker != nil {
		_ = docker.Close()
	}
	return errors.Join(errs...)
}

func (s *Stack) onClose(f func(context.Context) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closers = append(s.closers, f)
}

// onRemove registers a container's removal with Close.
func (s *Stack) onRemove(f func(context.Context) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removers = append(s.removers, f)
}

// closeTimeout bounds teardown so a wedged engine cannot hang the suite.
const closeTimeout = 60 * time.Second
