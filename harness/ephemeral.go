package harness

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/container"
	mobynet "github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/testcontainers/testcontainers-go"
	tcnetwork "github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/smokestack-dev/smokestack/fixtures/genesis"
	stackfiles "github.com/smokestack-dev/smokestack/fixtures/stack"
)

// Ports the components listen on inside the stack's network.
var containerPorts = map[Component]string{
	Genesis: "8080/tcp", Prometheus: "9090/tcp", Alertmanager: "9093/tcp",
	NodeExporter: "9100/tcp", Grafana: "3000/tcp", LLMPlanner: "8090/tcp",
	// Jaeger: the query API. Its OTLP/HTTP receiver (4318) is reached on the
	// stack's network only, by the service.
	Jaeger:    "16686/tcp",
	AlertSink: strconv.Itoa(stackfiles.SinkPort) + "/tcp",
}

// jaegerOTLPPort is where Jaeger receives OTLP/HTTP inside the stack's network.
const jaegerOTLPPort = "4318"

// ErrNoEngine wraps the failure to reach a Docker engine in ephemeral mode.
var ErrNoEngine = errors.New("ephemeral mode needs a Docker engine")

// Start starts the stack in containers on one Docker network, with ports
// published on 127.0.0.1 only, and returns once every component answers and
// Prometheus has scraped every target once. It returns the stack even on
// error: Close it.
func Start(ctx context.Context, cfg Config, opts ...Option) (*Stack, error) {
	cfg.Mode = Ephemeral
	o := startOptions{logf: func(string, ...any) {}}
	for _, opt := range opts {
		opt(&o)
	}
	if o.progressf != nil {
		// Milestones go to both: the log (-v) and the terminal.
		logf, progressf := o.logf, o.progressf
		o.milestonef = func(format string, args ...any) { logf(format, args...); progressf(format, args...) }
	} else {
		o.milestonef = o.logf
	}
	if o.genesisFaults == "" {
		o.genesisFaults = cfg.GenesisFaults
	}
	s := newStack(cfg)
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeouts.Start)
	defer cancel()
	began := time.Now()

	prepareTestcontainersEnv(o.logf)
	cli, err := s.Docker()
	if err != nil {
		return s, fmt.Errorf("%w: %v. %s", ErrNoEngine, err, engineHint)
	}
	if err := PingDocker(ctx, cli, 10*time.Second); err != nil {
		return s, fmt.Errorf("%w: %v. %s", ErrNoEngine, err, engineHint)
	}
	preferLocalImages(ctx, cli, &s.cfg.Images, o.logf)
	if n, err := Sweep(ctx, cli); err != nil {
		o.logf("sweep of earlier runs: %v", err)
	} else if n > 0 {
		o.logf("sweep: removed %d containers left by killed runs", n)
	}

	s.runID = newRunID()
	owner := strconv.Itoa(os.Getpid())
	if o.detached {
		owner = DetachedOwner
	}
	host, _ := os.Hostname()
	labels := map[string]string{LabelRun: s.runID, LabelOwnerPID: owner, LabelOwnerHost: host}

	// Secrets of this stack: fresh per run, never printed.
	if s.cfg.APIKey == "" {
		s.cfg.APIKey = Secret("smk-" + randomHex(16))
	}
	if s.cfg.AdminKey == "" {
		s.cfg.AdminKey = Secret("adm-" + randomHex(16))
	}

	nw, err := tcnetwork.New(ctx, tcnetwork.WithLabels(labels))
	if err != nil {
		return s, fmt.Errorf("create the stack's Docker network: %w", err)
	}
	s.network = nw
	if !o.detached {
		s.onClose(func(ctx context.Context) error { return nw.Remove(ctx) })
	}

	specs, err := s.containerSpecs(o)
	if err != nil {
		return s, err
	}
	var wg sync.WaitGroup
	errs := make([]error, len(specs))
	launch := func(i int) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.run(ctx, specs[i], labels, o)
		}()
	}
	// The containers of other images start while the reference image is
	// built: Prometheus hands its scrape loops their first targets up to 5 s
	// after it starts (2.42's discovery throttle), and that wait, not the
	// build, is what "every target scraped" below waits for.
	for i := range specs {
		if !specs[i].reference {
			launch(i)
		}
	}
	genesisImage := cfg.Images.Genesis
	if genesisImage == "" {
		t0 := time.Now()
		genesisImage, err = BuildGenesisImage(ctx, cli)
		if err != nil {
			wg.Wait()
			return s, err
		}
		o.milestonef("genesis image %s ready in %s", genesisImage, time.Since(t0).Round(time.Millisecond))
	}
	for i := range specs {
		if specs[i].reference {
			specs[i].image = genesisImage
			launch(i)
		}
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return s, err
	}
	o.logf("all containers answer after %s", time.Since(began).Round(time.Millisecond))

	// Readiness, not health: every target has been scraped once, whatever the
	// result, so that metrics checks judge a settled Prometheus. Health is the
	// checks' business; a fault stack must start too. Prometheus may have
	// scraped before the containers of the reference image answered (it
	// starts while that image builds): a scrape seen now counts only once a
	// newer one replaces it. Compared by Prometheus's own clock, not this
	// host's, which an engine in a virtual machine need not share.
	prom := s.Prometheus()
	var before []v1.ActiveTarget
	if t, err := prom.Targets(ctx); err == nil {
		before = t.Active
	}
	err = Eventually(ctx, "Prometheus has scraped every target once since its containers answer", cfg.Timeouts.Start, 500*time.Millisecond,
		func(ctx context.Context) error {
			t, err := prom.Targets(ctx)
			if err != nil {
				return err
			}
			return scrapedSince(before, t.Active)
		})
	if err != nil {
		return s, err
	}
	o.milestonef("stack ready (every target scraped) after %s: %s", time.Since(began).Round(time.Millisecond), s.Describe())
	return s, nil
}

// scrapedSince says which target of now has not been scraped since before
// (the targets as Prometheus listed them once every container answered):
// a target unscraped, or whose last scrape is still the one listed then,
// which may have found a container not yet answering. Fewer than three
// targets is a Prometheus that has not loaded its configuration yet.
func scrapedSince(before, now []v1.ActiveTarget) error {
	if len(now) < 3 {
		return fmt.Errorf("%d active targets, want at least 3 (node, prometheus, alertmanager; and genesis on a full surface)", len(now))
	}
	seen := map[string]time.Time{}
	for _, a := range before {
		seen[a.ScrapeURL] = a.LastScrape
	}
	for _, a := range now {
		if a.LastScrape.IsZero() || a.LastScrape.Equal(seen[a.ScrapeURL]) {
			return fmt.Errorf("target %s not scraped yet since every container answers", a.ScrapeURL)
		}
	}
	return nil
}

const engineHint = "Point DOCKER_HOST at a running engine (on this project's machines, as root: " +
	"`make setup`, then `source /var/lib/smokestack-engine/env`), " +
	"or check a running deployment instead with SMOKE_TARGET=live and SMOKE_A2A_URL, SMOKE_PROMETHEUS_URL, ... (README)"

// prepareTestcontainersEnv sets the two testcontainers settings these
// machines need when the user has not: the stack's ports are published on
// 127.0.0.1, so that is the host to reach them on (testcontainers guesses the
// bridge gateway when /.dockerenv exists), and the reaper image cannot be
// pulled without a registry unless it is present.
func prepareTestcontainersEnv(logf func(string, ...any)) {
	if os.Getenv("TESTCONTAINERS_HOST_OVERRIDE") == "" {
		os.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")
		logf("TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1 (ports are published on loopback)")
	}
}

type containerSpec struct {
	comp  Component
	alias string // the network alias, when not the component's name
	image string
	// reference: the container runs the reference service's image, which
	// Start builds (image is set then).
	reference bool
	cmd       []string
	env       map[string]string
	files     []testcontainers.ContainerFile
	wait      wait.Strategy
}

func (s *Stack) containerSpecs(o startOptions) ([]containerSpec, error) {
	cfg := s.cfg
	genesisEnv := map[string]string{
		"GENESIS_ENV":         "staging",
		"GENESIS_FAULT_ADMIN": "1",
		"GENESIS_API_KEY":     cfg.APIKey.Value(),
		"GENESIS_ADMIN_KEY":   cfg.AdminKey.Value(),
		"GENESIS_FAULTS":      o.genesisFaults,
		"GENESIS_LLM_URL":     "http://" + string(LLMPlanner) + ":8090",
		// Traces go to Jaeger when the stack runs it. Without it the planner
		// container, which also accepts OTLP/HTTP trace exports (and keeps
		// nothing), is the sink, so the exporter still delivers somewhere
		// real (components.otel "ok").
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://" + string(LLMPlanner) + ":8090",

		"GENESIS_BREAKER_OPEN_TIMEOUT": "3s",
	}
	jaeger := cfg.Images.Jaeger != "" && cfg.Images.Jaeger != DisabledImage
	if jaeger {
		genesisEnv["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://" + string(Jaeger) + ":" + jaegerOTLPPort
	}
	partial := cfg.GenesisSurface != "" && cfg.GenesisSurface != ProfileFull
	if partial {
		genesisEnv["GENESIS_SURFACE"] = string(cfg.GenesisSurface)
	}
	for k, v := range o.genesisEnv {
		genesisEnv[k] = v
	}
	promName := stackfiles.PrometheusConfig
	if partial {
		// No /metrics on a part-A service: no genesis job to scrape.
		promName = stackfiles.PrometheusConfigA2A
	}
	promCfg, err := fs.ReadFile(stackfiles.FS, promName)
	if err != nil {
		return nil, err
	}
	s.promConfig = promCfg
	promFiles := []testcontainers.ContainerFile{fileFrom(promCfg, stackfiles.PrometheusConfigPath)}
	rules := map[string][]byte{}
	ruleNames, _ := fs.Glob(stackfiles.FS, "rules/*.rules.yml")
	for _, n := range ruleNames {
		b, err := fs.ReadFile(stackfiles.FS, n)
		if err != nil {
			return nil, err
		}
		rules[path.Base(n)] = b
	}
	s.ruleFiles = map[string][]byte{}
	for n, b := range rules {
		p := stackfiles.PrometheusRulesDir + "/" + n
		promFiles = append(promFiles, fileFrom(b, p))
		s.ruleFiles[p] = b
	}
	amCfg, err := fs.ReadFile(stackfiles.FS, stackfiles.AlertmanagerConfig)
	if err != nil {
		return nil, err
	}
	// Every answer counts as "up" for readiness: a stack started with a
	// fault must still start so the checks can judge it.
	anyStatus := func(int) bool { return true }
	specs := []containerSpec{
		{comp: Genesis, reference: true, env: genesisEnv,
			wait: wait.ForHTTP("/a2a/version").WithPort("8080/tcp").WithStatusCodeMatcher(anyStatus)},
		// The LLM planner upstream: the same binary, another mode.
		{comp: LLMPlanner, reference: true, cmd: []string{"planner"}, env: map[string]string{"PLANNER_PORT": "8090"},
			wait: wait.ForHTTP("/health").WithPort("8090/tcp")},
		// The receiver Alertmanager notifies (alertmanager.yml's webhook):
		// the same binary again, recording what it receives.
		{comp: AlertSink, alias: stackfiles.SinkAlias, reference: true, cmd: []string{"alertsink"},
			env:  map[string]string{"SINK_PORT": strconv.Itoa(stackfiles.SinkPort)},
			wait: wait.ForHTTP("/health").WithPort(containerPorts[AlertSink])},
		{comp: NodeExporter, image: cfg.Images.NodeExporter,
			cmd:  []string{"--web.listen-address=:9100", "--no-collector.wifi", "--no-collector.hwmon"},
			wait: wait.ForHTTP("/metrics").WithPort("9100/tcp")},
		{comp: Alertmanager, image: cfg.Images.Alertmanager,
			cmd: []string{"--config.file=" + stackfiles.AlertmanagerConfigPath, "--storage.path=/alertmanager",
				"--web.listen-address=:9093", "--cluster.listen-address="},
			files: []testcontainers.ContainerFile{fileFrom(amCfg, stackfiles.AlertmanagerConfigPath)},
			wait:  wait.ForHTTP("/-/ready").WithPort("9093/tcp")},
		// Firing alerts are sent again every 2 s (the evaluation interval),
		// not every minute: the first sends happen before Prometheus has
		// discovered its Alertmanager and are dropped, and a test cannot wait
		// a minute for the next. Alertmanager then holds an alert 8 s past
		// the last send (4 resend delays), so an alert Prometheus stops
		// sending is resolved within seconds too.
		{comp: Prometheus, image: cfg.Images.Prometheus,
			cmd: []string{"--config.file=" + stackfiles.PrometheusConfigPath, "--storage.tsdb.path=/prometheus",
				"--web.listen-address=:9090", "--web.enable-lifecycle", "--rules.alert.resend-delay=2s"},
			files: promFiles,
			wait:  wait.ForHTTP("/-/ready").WithPort("9090/tcp")},
	}
	if jaeger {
		// All-in-one defaults (no --config): memory storage, OTLP on 4317
		// and 4318, the query API on 16686, listening on JAEGER_LISTEN_HOST.
		// Ready once the collector says so (its receivers listen) and the
		// query API answers.
		specs = append(specs, containerSpec{comp: Jaeger, image: cfg.Images.Jaeger,
			// No traces of its own: Jaeger's query API traces itself and, at
			// its stop, waits up to its exporter's 10 s timeout to send them
			// to its own receiver, already shut, so each stack's teardown
			// took the 5 s stop timeout more.
			env: map[string]string{"JAEGER_LISTEN_HOST": "0.0.0.0", "OTEL_TRACES_SAMPLER": "always_off"},
			wait: wait.ForAll(
				wait.ForLog("Everything is ready"),
				wait.ForHTTP("/api/services").WithPort("16686/tcp"),
			)})
	} else {
		s.absent[Jaeger] = fmt.Sprintf("no trace backend in this ephemeral stack (%s=%s); set %s to a Jaeger image such as %s "+
			"(make setup builds %s) to include one", Env.JaegerImage, DisabledImage, Env.JaegerImage, DefaultJaegerImage, LocalImages[Jaeger])
	}
	if img := cfg.Images.Grafana; img != "" && img != DisabledImage {
		gf, err := grafanaFiles()
		if err != nil {
			return nil, err
		}
		if s.cfg.GrafanaUser == "" {
			s.cfg.GrafanaUser = "admin"
			s.cfg.GrafanaPassword = Secret(randomHex(16))
		}
		specs = append(specs, containerSpec{comp: Grafana, image: img,
			env: map[string]string{
				"GF_SECURITY_ADMIN_USER":         s.cfg.GrafanaUser.Value(),
				"GF_SECURITY_ADMIN_PASSWORD":     s.cfg.GrafanaPassword.Value(),
				"GF_ANALYTICS_REPORTING_ENABLED": "false", "GF_ANALYTICS_CHECK_FOR_UPDATES": "false",
				"GF_PLUGINS_PREINSTALL_DISABLED": "true",
			},
			files: gf,
			wait:  wait.ForHTTP("/api/health").WithPort("3000/tcp")})
	} else {
		s.absent[Grafana] = fmt.Sprintf("Grafana is off in this ephemeral stack (%s=%s): no Grafana image can be had here; "+
			"set %s to an image such as %s to include it", Env.GrafanaImage, DisabledImage, Env.GrafanaImage, DefaultGrafanaImage)
	}
	return specs, nil
}

func grafanaFiles() ([]testcontainers.ContainerFile, error) {
	var out []testcontainers.ContainerFile
	for src, dst := range map[string]string{
		stackfiles.GrafanaDatasource:        stackfiles.GrafanaDatasourcePath,
		stackfiles.GrafanaDashboardProvider: stackfiles.GrafanaProviderPath,
		stackfiles.GrafanaDashboard:         stackfiles.GrafanaDashboardsDir + "/" + path.Base(stackfiles.GrafanaDashboard),
	} {
		b, err := fs.ReadFile(stackfiles.FS, src)
		if err != nil {
			return nil, err
		}
		out = append(out, fileFrom(b, dst))
	}
	return out, nil
}

func fileFrom(b []byte, target string) testcontainers.ContainerFile {
	return testcontainers.ContainerFile{Reader: bytes.NewReader(b), ContainerFilePath: target, FileMode: 0o644}
}

// run starts one container, records it on the stack, and on failure returns
// an error carrying the end of the container's log.
func (s *Stack) run(ctx context.Context, sp containerSpec, labels map[string]string, o startOptions) error {
	t0 := time.Now()
	name := fmt.Sprintf("smokestack-%s-%s", s.runID, sp.comp)
	port := containerPorts[sp.comp]
	alias := sp.alias
	if alias == "" {
		alias = string(sp.comp)
	}
	l := map[string]string{LabelComponent: string(sp.comp)}
	for k, v := range labels {
		l[k] = v
	}
	opts := []testcontainers.ContainerCustomizer{
		testcontainers.WithName(name),
		testcontainers.WithLabels(l),
		testcontainers.WithExposedPorts(port),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			p := mobynet.MustParsePort(port)
			hc.PortBindings = mobynet.PortMap{p: {{HostIP: netip.MustParseAddr("127.0.0.1")}}}
		}),
		tcnetwork.WithNetwork([]string{alias}, s.network),
		testcontainers.WithWaitStrategyAndDeadline(s.cfg.Timeouts.Start, sp.wait),
		testcontainers.WithLogger(printfLogger(o.logf)),
	}
	if len(sp.cmd) > 0 {
		opts = append(opts, testcontainers.WithCmd(sp.cmd...))
	}
	if len(sp.env) > 0 {
		opts = append(opts, testcontainers.WithEnv(sp.env))
	}
	if len(sp.files) > 0 {
		opts = append(opts, testcontainers.WithFiles(sp.files...))
	}
	c, err := testcontainers.Run(ctx, sp.image, opts...)
	if c != nil && !o.detached {
		s.onRemove(func(ctx context.Context) error {
			return testcontainers.TerminateContainer(c, testcontainers.StopTimeout(5*time.Second))
		})
	}
	if err != nil {
		cli, _ := s.Docker()
		return fmt.Errorf("start %s (image %s): %w%s%s", sp.comp.Title(), sp.image, err, pullHint(ctx, cli, sp.comp, sp.image), logTail(c))
	}
	mapped, err := c.MappedPort(ctx, port)
	if err != nil {
		return fmt.Errorf("%s: mapped port %s: %w", sp.comp.Title(), port, err)
	}
	s.mu.Lock()
	s.containers[sp.comp] = c
	if sp.comp.Valid() {
		// The deployment's containers; the alert sink is the suite's own.
		s.names[sp.comp] = name
	}
	s.urls[sp.comp] = fmt.Sprintf("http://127.0.0.1:%d", mapped.Num())
	s.mu.Unlock()
	o.milestonef("%s up on %s in %s", sp.comp, s.URL(sp.comp), time.Since(t0).Round(time.Millisecond))
	return nil
}

// logTail is the end of a failed container's log, for the start error.
func logTail(c *testcontainers.DockerContainer) string {
	if c == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rc, err := c.Logs(ctx)
	if err != nil {
		return ""
	}
	defer rc.Close()
	b, _ := io.ReadAll(io.LimitReader(rc, 1<<20))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return "\ncontainer log (last lines):\n  " + RedactText(strings.Join(lines, "\n  "))
}

// Container is the container behind a component (ephemeral mode only).
func (s *Stack) Container(c Component) (*testcontainers.DockerContainer, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ct, ok := s.containers[c]
	return ct, ok
}

// StartComponent starts a stopped container again and learns its new port
// (Docker may publish a restarted container on another one).
func (s *Stack) StartComponent(ctx context.Context, c Component) error {
	ct, ok := s.Container(c)
	if !ok {
		return fmt.Errorf("%s has no container in this stack", c.Title())
	}
	if err := ct.Start(ctx); err != nil {
		return fmt.Errorf("restart %s: %w", c.Title(), err)
	}
	mapped, err := ct.MappedPort(ctx, containerPorts[c])
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.urls[c] = fmt.Sprintf("http://127.0.0.1:%d", mapped.Num())
	s.mu.Unlock()
	return nil
}

// RunID identifies this stack's containers and network (label dev.smokestack.run).
func (s *Stack) RunID() string { return s.runID }

// BuildGenesisImage compiles the reference service on the host
// (CGO_ENABLED=0, static) and builds a FROM-scratch image from it with the
// legacy builder, which needs no base image from a registry. The tag is the
// binary's hash, so an unchanged service is not built twice. No -trimpath:
// with it no compiled package is shared with a suite built the same way
// (CGO_ENABLED=0), and a cold run compiles all of them twice.
//
// A process builds it once: every stack of one run runs the same reference
// service, and each go build, even one the build cache answers, costs a link
// of 2 s of CPU, which the proofs' dozens of stacks paid on every start.
// Stacks starting at once wait for the one build.
func BuildGenesisImage(ctx context.Context, cli *client.Client) (string, error) {
	builtGenesis.Lock()
	defer builtGenesis.Unlock()
	if tag := builtGenesis.tag; tag != "" {
		if _, err := cli.ImageInspect(ctx, tag); err == nil {
			return tag, nil
		}
	}
	tag, err := buildGenesisImage(ctx, cli)
	if err == nil {
		builtGenesis.tag = tag
	}
	return tag, err
}

// builtGenesis is the reference image this process has built.
var builtGenesis struct {
	sync.Mutex
	tag string
}

func buildGenesisImage(ctx context.Context, cli *client.Client) (string, error) {
	dir, err := os.MkdirTemp("", "smokestack-genesis-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "genesis")
	cmd := exec.CommandContext(ctx, "go", "build", "-ldflags=-s -w", "-o", bin, genesis.MainPackage)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("compile the reference Genesis service (%s): %w\n%s", genesis.MainPackage, err, out)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(append(append([]byte{}, genesis.Dockerfile...), data...))
	tag := "smokestack/genesis:" + hex.EncodeToString(sum[:])[:16]
	if _, err := cli.ImageInspect(ctx, tag); err == nil {
		return tag, nil
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct {
		name string
		mode int64
		data []byte
	}{{"Dockerfile", 0o644, genesis.Dockerfile}, {"genesis", 0o755, data}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data))}); err != nil {
			return "", err
		}
		if _, err := tw.Write(f.data); err != nil {
			return "", err
		}
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	res, err := cli.ImageBuild(ctx, &buf, client.ImageBuildOptions{
		Tags: []string{tag}, Remove: true, ForceRemove: true, Version: build.BuilderV1,
		Labels: map[string]string{"dev.smokestack.image": "genesis"},
	})
	if err != nil {
		return "", fmt.Errorf("build image %s: %w", tag, err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if bytes.Contains(out, []byte(`"error"`)) {
		return "", fmt.Errorf("build image %s: %s", tag, out)
	}
	if _, err := cli.ImageInspect(ctx, tag); err != nil {
		return "", fmt.Errorf("build image %s: no image after build: %w; build output: %s", tag, err, out)
	}
	return tag, nil
}

// printfLogger routes testcontainers' progress lines to the harness's logf,
// so they show with -v and stay out of a plain run's output.
type printfLogger func(format string, args ...any)

func (l printfLogger) Printf(format string, args ...any) { l("testcontainers: "+format, args...) }

func newRunID() string { return time.Now().UTC().Format("0102-150405") + "-" + randomHex(3) }

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
