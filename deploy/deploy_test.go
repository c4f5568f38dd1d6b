package deploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rhysd/actionlint"
	"github.com/robfig/cron/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	yamlv3 "go.yaml.in/yaml/v3"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/smokestack-dev/smokestack/harness"
)

const (
	k8sDir   = "k8s"
	workflow = "github/smokestack.yml"

	// schedule is three runs a day, every 8 hours: the checklist's 48-hour
	// monitoring cadence. The workflow and the CronJob must agree on it.
	schedule = "0 */8 * * *"

	suiteImage = "smokestack/suite:local"
)

// kinds are the resources deploy/k8s/ may hold, each with the only API
// version accepted for it. A kind missing here fails the test: a manifest
// nobody checks is how a broken one reaches a cluster.
var kinds = map[string]struct {
	apiVersion string
	new        func() metav1.Object
}{
	"CronJob": {"batch/v1", func() metav1.Object { return new(batchv1.CronJob) }},
	"Secret":  {"v1", func() metav1.Object { return new(corev1.Secret) }},
}

// manifest is one file of deploy/k8s/, decoded into its API type.
type manifest struct {
	path string
	obj  metav1.Object
}

// loadManifests decodes every file of deploy/k8s/, failing the test on any
// that does not decode strictly.
func loadManifests(t *testing.T) []manifest {
	t.Helper()
	entries, err := os.ReadDir(k8sDir)
	require.NoError(t, err)
	var out []manifest
	for _, e := range entries {
		path := filepath.Join(k8sDir, e.Name())
		if e.IsDir() {
			// kubectl apply -f deploy/k8s/ does not descend into it.
			t.Errorf("%s: a folder under %s is never applied (kubectl apply -f is not recursive)", path, k8sDir)
			continue
		}
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		obj, err := decodeStrict(data)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		out = append(out, manifest{path, obj})
	}
	require.False(t, t.Failed(), "every file under %s must decode", k8sDir)
	require.NotEmpty(t, out, "no manifests under %s", k8sDir)
	return out
}

// decodeStrict decodes one YAML resource into the API type its kind names,
// refusing what the API server would drop or misread: a field the type does
// not have (a misspelt, miscased or misplaced key), a duplicate key, a
// second resource in the file, trailing data.
func decodeStrict(data []byte) (metav1.Object, error) {
	n, err := documents(data)
	if err != nil {
		return nil, err
	}
	if n != 1 {
		return nil, fmt.Errorf("%d YAML documents; want one resource per file", n)
	}
	js, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return nil, err
	}
	var tm metav1.TypeMeta
	if err := json.Unmarshal(js, &tm); err != nil {
		return nil, err
	}
	k, ok := kinds[tm.Kind]
	if !ok {
		return nil, fmt.Errorf("kind %q is not one this test knows: add it to kinds, with checks", tm.Kind)
	}
	if tm.APIVersion != k.apiVersion {
		return nil, fmt.Errorf("%s: apiVersion %q, want %q", tm.Kind, tm.APIVersion, k.apiVersion)
	}
	obj := k.new()
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(obj); err != nil {
		return nil, fmt.Errorf("%s: %w", tm.Kind, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: data after the resource", tm.Kind)
	}
	// encoding/json matches keys case-insensitively (stringdata fills
	// StringData); the API server does not, and drops such a key. Decode
	// again as it does, case-sensitively, and refuse what it would drop.
	strict, err := kjson.UnmarshalStrict(js, k.new())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tm.Kind, err)
	}
	if len(strict) > 0 {
		return nil, fmt.Errorf("%s: %w", tm.Kind, errors.Join(strict...))
	}
	return obj, nil
}

// documents counts the YAML documents in data (a file of comments has none).
func documents(data []byte) (int, error) {
	dec := yamlv3.NewDecoder(bytes.NewReader(data))
	n := 0
	for {
		var node yamlv3.Node
		err := dec.Decode(&node)
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}

// only is the one manifest of type T, with its path.
func only[T metav1.Object](t *testing.T, ms []manifest) (T, string) {
	t.Helper()
	var found []manifest
	for _, m := range ms {
		if _, ok := m.obj.(T); ok {
			found = append(found, m)
		}
	}
	var zero T
	require.Len(t, found, 1, "want exactly one %T under %s", zero, k8sDir)
	return found[0].obj.(T), found[0].path
}

// TestManifestsDecodeStrictly: every file is one known resource that decodes
// into its API type with no unknown field, and none names a namespace, so
// that the same set applies to every deployment (kubectl apply -n NS).
func TestManifestsDecodeStrictly(t *testing.T) {
	for _, m := range loadManifests(t) {
		assert.NotEmpty(t, m.obj.GetName(), "%s: metadata.name", m.path)
		assert.Empty(t, m.obj.GetNamespace(), "%s: a namespace pins the set to one deployment; kubectl apply -n chooses it", m.path)
	}
}

// TestDecodeStrictRefuses: the strictness above is real: each of these
// mistakes would reach a cluster and be dropped or misread there.
func TestDecodeStrictRefuses(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown field":  "apiVersion: v1\nkind: Secret\nmetadata: {name: x}\nstringDate: {A: b}\n",
		"miscased field": "apiVersion: v1\nkind: Secret\nmetadata: {name: x}\nstringdata: {A: b}\n",
		"misplaced key":  "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: x}\nspec: {schedule: '0 * * * *', concurrencyPolicy: Forbid, jobTemplate: {spec: {backoffLimit: 1, template: {spec: {containers: [{name: c, image: i, runAsNonRoot: true}]}}}}}\n",
		"duplicate key":  "apiVersion: v1\nkind: Secret\nmetadata: {name: x}\nstringData: {A: b}\nstringData: {C: d}\n",
		"two resources":  "apiVersion: v1\nkind: Secret\nmetadata: {name: x}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: y}\n",
		"unknown kind":   "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n",
		"wrong version":  "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: x}\n",
		"no resource":    "# only a comment\n",
		"wrong type":     "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: x}\nspec: {jobTemplate: {spec: {backoffLimit: many}}}\n",
		"not a resource": "- a\n- b\n",
	} {
		_, err := decodeStrict([]byte(doc))
		if assert.Error(t, err, name) {
			t.Logf("%s: %v", name, err)
		}
	}
}

// TestCronJob: the properties the scheduled run depends on.
func TestCronJob(t *testing.T) {
	ms := loadManifests(t)
	cj, path := only[*batchv1.CronJob](t, ms)
	secret, _ := only[*corev1.Secret](t, ms)
	s := cj.Spec

	assert.Equal(t, schedule, s.Schedule, "%s: spec.schedule", path)
	checkSchedule(t, path, s.Schedule)
	assert.Equal(t, batchv1.ForbidConcurrent, s.ConcurrencyPolicy,
		"%s: two runs at once judge each other's traffic", path)

	js := s.JobTemplate.Spec
	if assert.NotNil(t, js.ActiveDeadlineSeconds, "%s: a hung run must end", path) {
		d := time.Duration(*js.ActiveDeadlineSeconds) * time.Second
		assert.True(t, d > 0 && d < 8*time.Hour, "%s: activeDeadlineSeconds %v must end a run before the next one starts", path, d)
	}
	if assert.NotNil(t, js.BackoffLimit, "%s: backoffLimit unset is 6 retries", path) {
		assert.LessOrEqual(t, *js.BackoffLimit, int32(3), "%s: backoffLimit", path)
	}

	pod := js.Template.Spec
	assert.Equal(t, corev1.RestartPolicyNever, pod.RestartPolicy, "%s: a restarted container reruns the suite until it passes", path)
	require.Len(t, pod.Containers, 1, "%s: containers", path)
	c := pod.Containers[0]
	assert.Equal(t, suiteImage, c.Image, "%s: image", path)
	if assert.NotEmpty(t, c.Command, "%s: command (a FROM scratch image has no shell nor default)", path) {
		assert.Equal(t, "/smoke.test", c.Command[0], "%s: command", path)
	}
	// Without the test2json framing the suite states no plan, and a run
	// without one never passes the gate its log is fed to.
	assert.Contains(t, c.Args, "-test.v=test2json", "%s: args", path)
	if p := js.PodFailurePolicy; p != nil {
		for _, r := range p.Rules {
			if r.OnExitCodes != nil && r.OnExitCodes.ContainerName != nil {
				assert.Equal(t, c.Name, *r.OnExitCodes.ContainerName, "%s: podFailurePolicy names a container that does not exist", path)
			}
		}
	}

	// Non-root, checked as the kubelet does: the container's setting wins
	// over the pod's, and a uid is needed for an image without a user.
	var nonRoot *bool
	var uid *int64
	if pod.SecurityContext != nil {
		nonRoot, uid = pod.SecurityContext.RunAsNonRoot, pod.SecurityContext.RunAsUser
	}
	if c.SecurityContext != nil && c.SecurityContext.RunAsNonRoot != nil {
		nonRoot = c.SecurityContext.RunAsNonRoot
	}
	if c.SecurityContext != nil && c.SecurityContext.RunAsUser != nil {
		uid = c.SecurityContext.RunAsUser
	}
	assert.True(t, nonRoot != nil && *nonRoot, "%s: runAsNonRoot", path)
	assert.True(t, uid != nil && *uid != 0, "%s: runAsUser: a FROM scratch image has no user, so runAsNonRoot needs a uid", path)
	if assert.NotNil(t, c.SecurityContext, "%s: container securityContext", path) {
		sc := c.SecurityContext
		assert.True(t, sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem, "%s: readOnlyRootFilesystem", path)
		assert.True(t, sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation, "%s: allowPrivilegeEscalation", path)
	}
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, lim := c.Resources.Requests[name], c.Resources.Limits[name]
		assert.False(t, req.IsZero(), "%s: resources.requests.%s", path, name)
		assert.False(t, lim.IsZero(), "%s: resources.limits.%s", path, name)
		assert.True(t, req.Cmp(lim) <= 0, "%s: %s request %s over its limit %s", path, name, req.String(), lim.String())
	}

	// The configuration comes whole from the Secret, so that editing it is
	// the only step between this file and a cluster.
	require.Len(t, c.EnvFrom, 1, "%s: envFrom", path)
	ref := c.EnvFrom[0].SecretRef
	if assert.NotNil(t, ref, "%s: envFrom must be the Secret", path) {
		assert.Equal(t, secret.Name, ref.Name, "%s: envFrom names a Secret that deploy/k8s/ does not hold", path)
		assert.True(t, ref.Optional == nil || !*ref.Optional, "%s: an optional Secret would run the suite unconfigured", path)
	}
	assert.Empty(t, c.EnvFrom[0].Prefix, "%s: a prefix would rename every SMOKE_* variable", path)
}

// TestSecret: the example Secret is a live configuration the suite accepts,
// and holds placeholders only.
func TestSecret(t *testing.T) {
	sec, path := only[*corev1.Secret](t, loadManifests(t))
	assert.Empty(t, sec.Data, "%s: data is base64: keep the example readable in stringData", path)
	require.NotEmpty(t, sec.StringData, "%s: stringData", path)

	// Every key becomes an environment variable of the suite, which stops
	// at start on a SMOKE_* name it does not know (a typo guard).
	names := make([]string, 0, len(sec.StringData))
	for k := range sec.StringData {
		names = append(names, k)
	}
	assert.NoError(t, harness.UnknownVars(names, path+": "))
	cfg, err := harness.LoadConfig(func(k string) (string, bool) {
		v, ok := sec.StringData[k]
		return v, ok
	})
	require.NoError(t, err, "%s: the suite refuses this configuration", path)
	assert.Equal(t, harness.Live, cfg.Mode, "%s: SMOKE_TARGET", path)

	// No real endpoint or key in the repository: URLs on .invalid (which
	// never resolves), other values marked PLACEHOLDER.
	for k, v := range sec.StringData {
		switch {
		case k == harness.Env.Target:
		case strings.HasSuffix(k, "_URL"):
			u, err := url.Parse(v)
			if assert.NoError(t, err, "%s: %s", path, k) {
				assert.True(t, strings.HasSuffix(u.Hostname(), ".invalid"), "%s: %s=%q is not a placeholder (want a host on .invalid)", path, k, v)
			}
		default:
			assert.True(t, strings.HasPrefix(v, "PLACEHOLDER"), "%s: %s is not a placeholder (want a value starting PLACEHOLDER)", path, k)
		}
	}
}

// checkSchedule: five fields (the form both Kubernetes and GitHub take),
// parsed by the parser the CronJob controller uses, firing three times a
// day at even intervals.
func checkSchedule(t *testing.T, where, spec string) {
	t.Helper()
	if !assert.Len(t, strings.Fields(spec), 5, "%s: cron %q: want minute hour day month weekday", where, spec) {
		return
	}
	s, err := cron.ParseStandard(spec)
	if !assert.NoError(t, err, "%s: cron %q", where, spec) {
		return
	}
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var runs []time.Time
	for at := s.Next(day.Add(-time.Second)); at.Before(day.Add(24 * time.Hour)); at = s.Next(at) {
		runs = append(runs, at)
	}
	if assert.Len(t, runs, 3, "%s: cron %q: runs a day", where, spec) {
		assert.Equal(t, 8*time.Hour, runs[1].Sub(runs[0]), "%s: cron %q", where, spec)
		assert.Equal(t, 8*time.Hour, runs[2].Sub(runs[1]), "%s: cron %q", where, spec)
	}
}

// TestWorkflowLint runs actionlint over the workflow, offline: no
// shellcheck or pyflakes (external programs; empty options turn them off).
// Any error fails: it would fail the workflow on GitHub too, usually only
// at its first run.
func TestWorkflowLint(t *testing.T) {
	var out bytes.Buffer
	l, err := actionlint.NewLinter(&out, &actionlint.LinterOptions{
		Color:      actionlint.ColorOptionKindNever,
		Shellcheck: "",
		Pyflakes:   "",
	})
	require.NoError(t, err)
	errs, err := l.LintFile(workflow, nil)
	require.NoError(t, err)
	for _, e := range errs {
		t.Errorf("actionlint: %s", e)
	}
	if len(errs) > 0 {
		t.Log(out.String())
	}
}

// TestActionlintCatches: the lint test can fail, on the mistakes it is here
// for.
func TestActionlintCatches(t *testing.T) {
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{Color: actionlint.ColorOptionKindNever})
	require.NoError(t, err)
	for name, src := range map[string]string{
		"unknown context": "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ var.X }}\n",
		"bad cron":        "on:\n  schedule:\n    - cron: '0 */8 * *'\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n",
		"unknown input":   "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/setup-go@v5\n        with:\n          go-version-fil: go.mod\n",
		"unknown need":    "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    needs: b\n    steps:\n      - run: echo\n",
	} {
		errs, err := l.Lint("<stdin>", []byte(src), nil)
		require.NoError(t, err, name)
		if assert.NotEmpty(t, errs, name) {
			t.Logf("%s: %s", name, errs[0].Message)
		}
	}
}

// parseWorkflow is the workflow as actionlint reads it: GitHub's own
// structure (the `on:` key stays a key, not YAML 1.1's true).
func parseWorkflow(t *testing.T) *actionlint.Workflow {
	t.Helper()
	src, err := os.ReadFile(workflow)
	require.NoError(t, err)
	w, errs := actionlint.Parse(src)
	for _, e := range errs {
		t.Errorf("%s: %s", workflow, e)
	}
	require.NotNil(t, w)
	return w
}

// TestWorkflowTriggers: push, pull requests, by hand, and three times a
// day like the CronJob.
func TestWorkflowTriggers(t *testing.T) {
	w := parseWorkflow(t)
	var names, crons []string
	for _, e := range w.On {
		names = append(names, e.EventName())
		if s, ok := e.(*actionlint.ScheduledEvent); ok {
			for _, c := range s.Schedules {
				crons = append(crons, c.Cron.Value)
			}
		}
	}
	sort.Strings(names)
	assert.Equal(t, []string{"pull_request", "push", "schedule", "workflow_dispatch"}, names)
	assert.Equal(t, []string{schedule}, crons)
	for _, c := range crons {
		checkSchedule(t, workflow, c)
	}
}

// suites are the matrix's suites, each with what its step must run.
var suites = map[string][]string{
	"smoke-critical": {"go test -json ./smoke -tags critical |", "| ./bin/smokestack gate -all ", "-junit report.xml", "-json report.json"},
	"smoke":          {"go test -json ./smoke |", "| ./bin/smokestack gate ", "-junit report.xml", "-json report.json"},
	"staging":        {"go test -json ./staging |", "| ./bin/smokestack gate ", "-junit report.xml", "-json report.json"},
}

var environments = []string{"staging", "production"}

// TestWorkflowMatrix: three suites on two environments, then perf on each,
// each step running what the README says, in live mode, with the keys from
// secrets.
func TestWorkflowMatrix(t *testing.T) {
	w := parseWorkflow(t)
	job := w.Jobs["suite"]
	checkLiveEnv(t, "suite", job)
	require.NotNil(t, job, "job suite")
	require.NotNil(t, job.Strategy, "suite: strategy")
	m := job.Strategy.Matrix
	require.NotNil(t, m, "suite: matrix")
	assert.Nil(t, m.Include, "suite: include would add combinations past suites × environments")
	assert.Nil(t, m.Exclude, "suite: exclude would drop some")
	assert.ElementsMatch(t, slices.Collect(maps.Keys(suites)), rowValues(t, m, "suite"))
	assert.ElementsMatch(t, environments, rowValues(t, m, "environment"))
	if assert.NotNil(t, job.Strategy.FailFast, "suite: fail-fast") {
		assert.False(t, job.Strategy.FailFast.Value, "suite: one failure must not cancel the other reports")
	}

	for suite, wants := range suites {
		var runs []*actionlint.Step
		for _, s := range job.Steps {
			if s.If != nil && s.If.Value == "matrix.suite == '"+suite+"'" {
				runs = append(runs, s)
			}
		}
		if !assert.Len(t, runs, 1, "suite %s: one step runs it", suite) {
			continue
		}
		run, ok := runs[0].Exec.(*actionlint.ExecRun)
		if !assert.True(t, ok, "suite %s: a run step", suite) {
			continue
		}
		for _, want := range wants {
			assert.Contains(t, run.Run.Value, want, "suite %s", suite)
		}
		// The gate's exit code must be the step's: with pipefail, go test's
		// 1 for one failed check would fail a run the 95 % rule passes.
		if strings.Contains(run.Run.Value, "| ./bin/smokestack gate") {
			sh := shellOf(w, job, runs[0])
			assert.NotEmpty(t, sh, "suite %s: the shell must be set (unset, GitHub's default depends on the runner)", suite)
			assert.NotContains(t, sh, "pipefail", "suite %s: the gate, not go test, decides", suite)
		}
	}

	// perf measures after the suites, on each environment: latency taken
	// beside their traffic would carry it.
	perf := w.Jobs["perf"]
	require.NotNil(t, perf, "job perf")
	checkLiveEnv(t, "perf", perf)
	assert.Equal(t, []string{"suite"}, needsOf(perf), "perf: needs")
	if assert.NotNil(t, perf.Strategy) && assert.NotNil(t, perf.Strategy.Matrix) {
		assert.ElementsMatch(t, environments, rowValues(t, perf.Strategy.Matrix, "environment"), "perf: one per environment")
	}
	var benched bool
	for _, s := range perf.Steps {
		if r, ok := s.Exec.(*actionlint.ExecRun); ok && strings.Contains(r.Run.Value, "go test ./perf -bench . -run '^$'") {
			benched = true
			assert.Contains(t, shellOf(w, perf, s), "pipefail", "perf: go test, not tee, decides")
		}
	}
	assert.True(t, benched, "perf: runs the benchmarks")
}

// checkLiveEnv: a job runs in live mode on its GitHub environment, with
// the URLs from variables and the keys from secrets.
func checkLiveEnv(t *testing.T, id string, job *actionlint.Job) {
	t.Helper()
	if assert.NotNil(t, job.Environment, "%s: environment", id) {
		assert.Equal(t, "${{ matrix.environment }}", job.Environment.Name.Value, "%s: its URLs and keys come from the GitHub environment", id)
	}
	env := envOf(job)
	assert.Equal(t, "live", env[harness.Env.Target], "%s: SMOKE_TARGET", id)
	for _, k := range []string{harness.Env.A2AURL, harness.Env.PrometheusURL, harness.Env.AlertmanagerURL, harness.Env.NodeExporterURL, harness.Env.GrafanaURL} {
		assert.Equal(t, "${{ vars."+k+" }}", env[k], "%s: %s", id, k)
	}
	for _, k := range []string{harness.Env.APIKey, harness.Env.GrafanaToken} {
		assert.Equal(t, "${{ secrets."+k+" }}", env[k], "%s: %s: a key in a variable is plain text to every reader", id, k)
	}
}

// needsOf are the jobs a job waits for.
func needsOf(job *actionlint.Job) []string {
	var needs []string
	for _, n := range job.Needs {
		needs = append(needs, n.Value)
	}
	return needs
}

// TestWorkflowJobs: every job builds the command before using it, uses
// actions pinned to a major version, and uploads every report it writes,
// even when it fails; the verdict job follows the suites.
func TestWorkflowJobs(t *testing.T) {
	w := parseWorkflow(t)
	pinned := []string{"actions/checkout@v4", "actions/setup-go@v5", "actions/upload-artifact@v4", "actions/download-artifact@v4"}
	reportFlag := regexp.MustCompile(`-(?:junit|json) (\S+)`)
	for id, job := range w.Jobs {
		var written, uploaded []string
		uploads, built := 0, false
		for i, s := range job.Steps {
			switch e := s.Exec.(type) {
			case *actionlint.ExecAction:
				uses := e.Uses.Value
				assert.Contains(t, pinned, uses, "%s step %d: actions pinned to a major version", id, i)
				if strings.HasPrefix(uses, "actions/setup-go@") {
					if in := e.Inputs["go-version-file"]; assert.NotNil(t, in, "%s: setup-go without go-version-file", id) {
						assert.Equal(t, "go.mod", in.Value.Value, "%s: setup-go", id)
					}
				}
				if strings.HasPrefix(uses, "actions/upload-artifact@") {
					uploads++
					assert.True(t, s.If != nil && isAlways(s.If.Value), "%s step %d: upload-artifact needs if: always(), or a failed run loses its reports", id, i)
					if in := e.Inputs["path"]; assert.NotNil(t, in, "%s: upload without path", id) {
						uploaded = append(uploaded, strings.Fields(in.Value.Value)...)
					}
				}
			case *actionlint.ExecRun:
				run := e.Run.Value
				if strings.Contains(run, "go build -o bin/smokestack ./cmd/smokestack") {
					built = true
				}
				if _, cmd, ok := strings.Cut(run, "./bin/smokestack "); ok {
					assert.True(t, built, "%s step %d: ./bin/smokestack before it is built", id, i)
					for _, m := range reportFlag.FindAllStringSubmatch(cmd, -1) {
						written = append(written, filepath.Clean(m[1]))
					}
				}
			}
		}
		assert.Positive(t, uploads, "job %s uploads no reports", id)
		for _, f := range written {
			assert.Contains(t, uploaded, f, "job %s writes %s and does not upload it", id, f)
		}
	}

	v := w.Jobs["verdict"]
	require.NotNil(t, v, "job verdict")
	assert.Equal(t, []string{"suite"}, needsOf(v), "verdict: needs")
	if assert.NotNil(t, v.Strategy) && assert.NotNil(t, v.Strategy.Matrix) {
		assert.ElementsMatch(t, environments, rowValues(t, v.Strategy.Matrix, "environment"), "verdict: one per environment")
	}
	assert.Equal(t, "${{ vars.SMOKE_PROMETHEUS_URL }}", envOf(v)[harness.Env.PrometheusURL], "verdict: Prometheus")
	var ran bool
	for _, s := range v.Steps {
		if r, ok := s.Exec.(*actionlint.ExecRun); ok && strings.Contains(r.Run.Value, "./bin/smokestack verdict ") {
			ran = true
		}
	}
	assert.True(t, ran, "verdict: runs smokestack verdict")

	// Every SMOKE_* a job sets must be one the suite knows: an unknown one
	// stops every run at start.
	for id, job := range w.Jobs {
		assert.NoError(t, harness.UnknownVars(slices.Collect(maps.Keys(envOf(job))), workflow+": job "+id+": "))
	}
}

// isAlways is if: always(), with or without ${{ }}.
func isAlways(cond string) bool {
	c := strings.TrimSpace(cond)
	if strings.HasPrefix(c, "${{") && strings.HasSuffix(c, "}}") {
		c = strings.TrimSpace(c[3 : len(c)-2])
	}
	return c == "always()"
}

// shellOf is the command line a run step gets: from its own shell, the
// job's default or the workflow's; "" when none is set. A bare `bash` is
// what GitHub expands it to, pipefail included.
func shellOf(w *actionlint.Workflow, job *actionlint.Job, s *actionlint.Step) string {
	sh := ""
	if r, ok := s.Exec.(*actionlint.ExecRun); ok && r.Shell != nil {
		sh = r.Shell.Value
	}
	for _, d := range []*actionlint.Defaults{job.Defaults, w.Defaults} {
		if sh == "" && d != nil && d.Run != nil && d.Run.Shell != nil {
			sh = d.Run.Shell.Value
		}
	}
	if sh == "bash" {
		return "bash --noprofile --norc -eo pipefail {0}"
	}
	return sh
}

// envOf is a job's env, name to value.
func envOf(job *actionlint.Job) map[string]string {
	out := map[string]string{}
	if job.Env == nil {
		return out
	}
	for _, v := range job.Env.Vars {
		out[v.Name.Value] = v.Value.Value
	}
	return out
}

// rowValues are the values of one matrix row, as written.
func rowValues(t *testing.T, m *actionlint.Matrix, row string) []string {
	t.Helper()
	r := m.Rows[row]
	require.NotNil(t, r, "matrix row %s", row)
	var out []string
	for _, v := range r.Values {
		s, ok := v.(*actionlint.RawYAMLString)
		require.True(t, ok, "matrix row %s: %v is not a string", row, v)
		out = append(out, s.Value)
	}
	return out
}
