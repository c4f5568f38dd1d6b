package verdict

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/checks"
)

// The JUnit XML as a CI server reads it: only what the tests check,
// decoded by encoding/xml independently of the writer's types.
type xmlSuites struct {
	XMLName xml.Name   `xml:"testsuites"`
	Tests   int        `xml:"tests,attr"`
	Suites  []xmlSuite `xml:"testsuite"`
}

type xmlSuite struct {
	Name       string        `xml:"name,attr"`
	Tests      int           `xml:"tests,attr"`
	Failures   int           `xml:"failures,attr"`
	Errors     int           `xml:"errors,attr"`
	Skipped    int           `xml:"skipped,attr"`
	Properties []xmlProperty `xml:"properties>property"`
	Cases      []xmlCase     `xml:"testcase"`
	SystemErr  string        `xml:"system-err"`
}

type xmlProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type xmlCase struct {
	Classname string     `xml:"classname,attr"`
	Name      string     `xml:"name,attr"`
	Time      string     `xml:"time,attr"`
	Failure   *xmlResult `xml:"failure"`
	Skipped   *xmlResult `xml:"skipped"`
	Error     *xmlResult `xml:"error"`
}

type xmlResult struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

func parseJUnit(t *testing.T, rec Record) (xmlSuites, string) {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, rec.WriteJUnit(&b))
	var s xmlSuites
	require.NoError(t, xml.Unmarshal(b.Bytes(), &s), b.String())
	return s, b.String()
}

func (s xmlSuite) property(name string) string {
	for _, p := range s.Properties {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

func (s xmlSuite) testcase(t *testing.T, classname, name string) xmlCase {
	t.Helper()
	for _, c := range s.Cases {
		if c.Classname == classname && c.Name == name {
			return c
		}
	}
	require.Failf(t, "no testcase", "%s %s in %s", classname, name, s.Name)
	return xmlCase{}
}

const (
	secret  = "sk-proj-abcdefghijklmnopqrstuvwx"
	longMsg = "want 401, got 200 echoing api_key=" + secret + " and then a very long explanation"
)

// mixed is a run of two packages with every outcome: a critical failure
// with a long message and a leaked key, not applicable, not judged by
// plan, a check killed after it started and one that never started.
func mixed() string {
	smoke := healthy().
		with("TestInfrastructure/check_03", func(c *spec) { c.end, c.msg = endFail, longMsg+strings.Repeat(" more", 60) }).
		with("TestAgentCatalogue/check_10", func(c *spec) {
			c.plan, c.reason, c.end, c.msg = checks.PlanNotJudged, "read-only", endNJ, "read-only live target: mutation not allowed"
		}).
		with("TestAgentCatalogue/check_11", func(c *spec) { c.end = endStarted }).
		with("TestAgentCatalogue/check_12", func(c *spec) { c.end = endNeverStart })
	smoke.final = "fail"
	staging := suite{pkg: "github.com/smokestack-dev/smokestack/staging", specs: []spec{
		{id: "TestStagingHealth/ready"},
		{id: "TestStagingHealth/grafana", plan: checks.PlanNotApplicable, end: endNA, msg: "Grafana is not part of this target"},
	}}
	return smoke.stream() + staging.stream()
}

func mixedRecord(t *testing.T) Record {
	t.Helper()
	r := judge(t, mixed(), smokeGate)
	require.Equal(t, GateFail, r.Decision, r.String())
	return r.Record(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
}

// JUnit: one testsuite per package, one testcase per check named after
// its group and subtest; a failure keeps its whole message, skips name the
// outcome and the reason, a planned check without an outcome is an error.
func TestRecordJUnit(t *testing.T) {
	s, raw := parseJUnit(t, mixedRecord(t))
	require.Len(t, s.Suites, 2)
	smoke, staging := s.Suites[0], s.Suites[1]
	assert.Equal(t, "github.com/smokestack-dev/smokestack/smoke", smoke.Name)
	assert.Equal(t, "github.com/smokestack-dev/smokestack/staging", staging.Name)
	assert.Len(t, smoke.Cases, 27, "one testcase per planned check")
	assert.Equal(t, 27, smoke.Tests)
	assert.Len(t, staging.Cases, 2)
	assert.Equal(t, 29, s.Tests)

	fail := smoke.testcase(t, "TestInfrastructure", "check_03")
	require.NotNil(t, fail.Failure)
	assert.Nil(t, fail.Skipped)
	assert.Greater(t, len(fail.Failure.Message), maxReason, "the message is not clipped as the screen report is")
	assert.True(t, strings.HasSuffix(fail.Failure.Message, strings.Repeat(" more", 60)), fail.Failure.Message)
	assert.Contains(t, fail.Failure.Body, "checklist: a line", "the body is everything the check printed")
	assert.Contains(t, fail.Failure.Body, "check.go:273: TestInfrastructure/check_03 on A2A service")
	assert.NotContains(t, fail.Failure.Body, "--- FAIL", "go test's own lines are not the message")
	assert.Equal(t, "critical FAIL", fail.Failure.Type)
	assert.Equal(t, 1, smoke.Failures)

	na := smoke.testcase(t, "TestSecuritySmoke", "cycle_rejected")
	require.NotNil(t, na.Skipped)
	assert.Equal(t, "NOT APPLICABLE: the target's profile a2a (contract parts A; SMOKE_PROFILE=a2a) does not include contract part C", na.Skipped.Message)
	nj := smoke.testcase(t, "TestAgentCatalogue", "check_10")
	require.NotNil(t, nj.Skipped)
	assert.Equal(t, "NOT JUDGED: read-only live target: mutation not allowed", nj.Skipped.Message)
	assert.Equal(t, 3, smoke.Skipped)
	require.NotNil(t, staging.testcase(t, "TestStagingHealth", "grafana").Skipped)
	assert.Equal(t, "NOT APPLICABLE: Grafana is not part of this target", staging.testcase(t, "TestStagingHealth", "grafana").Skipped.Message)

	for _, name := range []string{"check_11", "check_12"} {
		c := smoke.testcase(t, "TestAgentCatalogue", name)
		require.NotNil(t, c.Error, name)
		assert.Equal(t, "missing: no outcome in the stream", c.Error.Message)
		assert.Nil(t, c.Failure)
		assert.Empty(t, c.Time, "a check that never ended has no duration")
	}
	assert.Contains(t, smoke.testcase(t, "TestAgentCatalogue", "check_11").Error.Body, "started but never ended")
	assert.Contains(t, smoke.testcase(t, "TestAgentCatalogue", "check_12").Error.Body, "never started")
	assert.Equal(t, 2, smoke.Errors)

	ok := smoke.testcase(t, "TestInfrastructure", "check_00")
	assert.Nil(t, ok.Failure)
	assert.Nil(t, ok.Skipped)
	assert.Nil(t, ok.Error)
	assert.Equal(t, "0.000", ok.Time, "go test timed it")

	assert.Equal(t, "FAIL", smoke.property("smokestack.gate"))
	assert.Equal(t, "smoke", smoke.property("smokestack.suite"))
	assert.Contains(t, smoke.SystemErr, "because critical check TestInfrastructure/check_03 failed")
	assert.Contains(t, smoke.SystemErr, "2 planned checks never ended")

	assert.NotContains(t, raw, secret, "the writer redacts")
	assert.Contains(t, fail.Failure.Message, "api_key=[REDACTED]")
}

// A package that could not start has no check to fail: it is an error
// testcase named after the package, so the CI page is not empty and green.
func TestRecordJUnitBrokenPackage(t *testing.T) {
	w := &streamWriter{pkg: "github.com/smokestack-dev/smokestack/smoke"}
	w.ev(Event{Action: "start"})
	w.out("smokestack: error: configuration: SMOKE_A2A_ULR is not a smokestack variable; token=abcdefgh\n")
	w.out("FAIL\tgithub.com/smokestack-dev/smokestack/smoke\t0.010s\n")
	w.ev(Event{Action: "fail", Elapsed: 0.01})
	r := judge(t, w.b.String(), smokeGate)
	require.Equal(t, GateHold, r.Decision)
	s, raw := parseJUnit(t, r.Record(time.Now()))
	require.Len(t, s.Suites, 1)
	require.Len(t, s.Suites[0].Cases, 1)
	c := s.Suites[0].Cases[0]
	assert.Equal(t, "(package)", c.Name)
	require.NotNil(t, c.Error)
	assert.Contains(t, c.Error.Message, "smokestack: error: configuration: SMOKE_A2A_ULR is not a smokestack variable")
	assert.NotContains(t, raw, "abcdefgh")
	assert.Equal(t, "HOLD", s.Suites[0].property("smokestack.gate"))
}

// Characters XML cannot carry (terminal escapes, NUL) do not make the
// report unreadable.
func TestRecordJUnitIllegalCharacters(t *testing.T) {
	s := healthy().with("TestAgentCatalogue/check_09", func(c *spec) { c.end, c.msg = endFail, "got \x1b[31mred\x1b[0m and \x00 ]]> end" })
	r := judge(t, s.stream(), smokeGate)
	x, _ := parseJUnit(t, r.Record(time.Now()))
	c := x.Suites[0].testcase(t, "TestAgentCatalogue", "check_09")
	require.NotNil(t, c.Failure)
	assert.Contains(t, c.Failure.Body, "]]> end", "a CDATA end inside the message survives")
}

// Durations come from go test's events; a check's output is kept whole.
func TestParseKeepsDurationAndMessage(t *testing.T) {
	w := &streamWriter{pkg: "example.com/smoke"}
	w.test("run", "TestA/b", "")
	w.test("output", "TestA/b", "=== RUN   TestA/b\n")
	w.test("output", "TestA/b", "    check.go:12: TestA/b: want 200, got 503\n")
	w.test("output", "TestA/b", "        body: {\"error\":\"down\"}\n")
	w.test("output", "TestA/b", "    --- FAIL: TestA/b (1.25s)\n")
	w.ev(Event{Action: "fail", Test: "TestA/b", Elapsed: 1.25})
	w.test("run", "TestA/c", "")
	w.ev(Event{Action: "pass", Test: "TestA/c", Elapsed: 0.5})
	w.ev(Event{Action: "fail", Elapsed: 2})
	run, err := Parse(strings.NewReader(w.b.String()))
	require.NoError(t, err)
	p := run.Packages[0]
	require.Len(t, p.Checks, 2)
	b := p.Checks[0]
	assert.Equal(t, "check.go:12: TestA/b: want 200, got 503\n    body: {\"error\":\"down\"}", b.Message)
	assert.Equal(t, "TestA/b: want 200, got 503", b.Headline)
	assert.True(t, b.Timed)
	assert.Equal(t, 1250*time.Millisecond, b.Elapsed)
	assert.Empty(t, p.Checks[1].Message, "a pass keeps no message")
	assert.Equal(t, 2*time.Second, p.Elapsed)

	rec := smokeGate.Judge(run).Record(time.Now())
	require.Len(t, rec.Checks, 2)
	require.NotNil(t, rec.Checks[0].Duration)
	assert.InDelta(t, 1.25, *rec.Checks[0].Duration, 1e-9)
	x, _ := parseJUnit(t, rec)
	assert.Equal(t, "1.250", x.Suites[0].testcase(t, "TestA", "b").Time)
	assert.Equal(t, "0.500", x.Suites[0].testcase(t, "TestA", "c").Time)
}

// Checks evaluated in-process (monitor) keep their whole error and their
// duration too.
func TestFromVerdictsKeepsMessageAndDuration(t *testing.T) {
	cs := []checks.Check{{Group: "TestInfrastructure", Name: "a2a_health"}}
	vs := map[string]checks.Verdict{"TestInfrastructure/a2a_health": {Outcome: checks.Fail,
		Err: errors.New("a2a_health: want 200, got 503\nbody: down"), Elapsed: 300 * time.Millisecond}}
	r := smokeGate.Judge(FromVerdicts("monitor", nil, nil, cs, vs))
	rec := r.Record(time.Now())
	require.Len(t, rec.Checks, 1)
	assert.Equal(t, "a2a_health: want 200, got 503\nbody: down", rec.Checks[0].Message)
	assert.Equal(t, "a2a_health: want 200, got 503", rec.Checks[0].Reason)
	require.NotNil(t, rec.Checks[0].Duration)
	assert.InDelta(t, 0.3, *rec.Checks[0].Duration, 1e-9)
	assert.True(t, rec.Checks[0].Critical, "a2a_health is critical by the registry")
}

// The JSON report decodes back to the record it was written from, with
// the documented field names.
func TestRecordJSONRoundTrip(t *testing.T) {
	rec := mixedRecord(t)
	var b bytes.Buffer
	require.NoError(t, rec.WriteJSON(&b))
	var back Record
	require.NoError(t, json.Unmarshal(b.Bytes(), &back))
	assert.Equal(t, rec.Redacted(), back)

	assert.Equal(t, KindGate, back.Kind)
	assert.Equal(t, GateFail, back.Gate)
	assert.Empty(t, back.Decision, "a gate has no SHIP/ROLLBACK decision")
	assert.Equal(t, 1, back.ExitCode)
	assert.Equal(t, Counts{Pass: 22, Fail: 1, NotApplicable: 3, NotJudged: 1, Missing: 2, Total: 29}, back.Counts)
	assert.Equal(t, []string{"TestAgentCatalogue/check_11", "TestAgentCatalogue/check_12"}, back.Missing)
	require.NotNil(t, back.PassRate)
	assert.InDelta(t, 22.0/23, *back.PassRate, 1e-9)
	assert.Equal(t, 0.95, back.MinPassRate)
	require.Len(t, back.Packages, 2)
	assert.Equal(t, "fail", back.Packages[0].Status)
	assert.Equal(t, "smoke", back.Packages[0].Suite)
	assert.NotContains(t, b.String(), secret)

	// Stable names: the top level and a check, as documented on Record.
	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b.Bytes(), &raw))
	assert.Equal(t, []string{"checks", "counts", "exit_code", "gate", "kind", "min_pass_rate", "missing", "packages", "pass_rate", "reasons", "require_all", "time"}, keys(raw))
	var cs []map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw["checks"], &cs))
	for _, c := range cs {
		if string(c["id"]) == `"TestInfrastructure/check_03"` {
			assert.Equal(t, []string{"critical", "duration_seconds", "group", "id", "message", "name", "outcome", "package", "planned", "reason"}, keys(c))
		}
	}
	var counts map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw["counts"], &counts))
	assert.Equal(t, []string{"fail", "missing", "not_applicable", "not_judged", "pass", "total"}, keys(counts))
}

func keys(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// A run where nothing was judged has no pass rate: null, not 0.
func TestRecordNothingJudged(t *testing.T) {
	var r GateResult
	r.Decision = GateHold
	rec := r.Record(time.Now())
	line, err := rec.JSONLine()
	require.NoError(t, err)
	assert.Contains(t, string(line), `"pass_rate":null`)
	assert.Contains(t, string(line), `"checks":[]`)
	assert.Contains(t, string(line), `"missing":[]`)
	assert.True(t, strings.HasPrefix(string(line), "{"))
	assert.Equal(t, 1, strings.Count(string(line), "\n"), "one line")
	assert.True(t, strings.HasSuffix(string(line), "\n"))
}

// The verdict's record carries the triggers: name, query, value, limit,
// whether it fired; an unreadable one has no value and says why.
func TestVerdictRecordTriggers(t *testing.T) {
	ok := judge(t, healthy().stream(), smokeGate)
	ts := Triggers("5m")
	v := Decide(ok, []TriggerResult{
		{Trigger: ts[0], Value: 0.73, Fired: true},
		{Trigger: ts[1], Err: errors.New("no value (NaN): no traffic in the window; password=hunter22")},
	})
	require.Equal(t, Rollback, v.Decision)
	rec := v.Record(time.Now())
	assert.Equal(t, KindVerdict, rec.Kind)
	assert.Equal(t, Rollback, rec.Decision)
	assert.Equal(t, GatePass, rec.Gate)
	assert.Equal(t, 1, rec.ExitCode)
	require.Len(t, rec.Triggers, 2)
	p95 := rec.Triggers[0]
	assert.Equal(t, "p95 latency > 500ms", p95.Name)
	assert.Contains(t, p95.Query, "histogram_quantile(0.95")
	require.NotNil(t, p95.Value)
	assert.InDelta(t, 0.73, *p95.Value, 1e-9)
	assert.Equal(t, 0.5, p95.Limit)
	assert.True(t, p95.Breached)
	assert.Nil(t, rec.Triggers[1].Value)
	assert.False(t, rec.Triggers[1].Breached)

	assert.Equal(t, v.String(), rec.Text(), "the text report is rendered from the same record")
	var b bytes.Buffer
	require.NoError(t, rec.WriteJSON(&b))
	assert.Contains(t, b.String(), `"value": null`)
	assert.Contains(t, b.String(), `"name": "p95 latency > 500ms"`, "no HTML escaping of >")
	assert.NotContains(t, b.String(), "hunter22")
	x, raw := parseJUnit(t, rec)
	assert.NotContains(t, raw, "hunter22")
	assert.Equal(t, "ROLLBACK", x.Suites[0].property("smokestack.decision"))
	assert.Contains(t, x.Suites[0].SystemErr, "trigger p95 latency > 500ms: FIRED, observed 730ms")
	assert.NotContains(t, rec.Text(), "hunter22")
}

// Every free text goes through harness.RedactText in every writer, even in
// a record made by hand.
func TestRecordWritersRedact(t *testing.T) {
	leak := "Bearer abcdefghijklmnop"
	rec := Record{Kind: KindVerdict, Decision: Hold, Gate: GateHold,
		Checks:   []CheckRecord{{ID: "TestA/b", Package: "p", Group: "TestA", Name: "b", Outcome: Fail, Reason: leak, Message: "x\n" + leak}},
		Packages: []PackageRecord{{Name: "p", Status: "fail", Error: leak}},
		Triggers: []TriggerRecord{{Name: "t", Query: "q", Error: leak}},
		Reasons:  []string{leak}, Narrowed: []string{leak}}
	var j, x bytes.Buffer
	require.NoError(t, rec.WriteJSON(&j))
	require.NoError(t, rec.WriteJUnit(&x))
	line, err := rec.JSONLine()
	require.NoError(t, err)
	for name, out := range map[string]string{"json": j.String(), "junit": x.String(), "line": string(line), "text": rec.Text()} {
		assert.NotContains(t, out, "abcdefghijklmnop", name)
		assert.Contains(t, out, "Bearer [REDACTED]", name)
	}
}

// The gate's text report is the record's: unchanged by the new model.
func TestGateTextFromRecord(t *testing.T) {
	r := judge(t, mixed(), smokeGate)
	rec := r.Record(time.Now())
	assert.Equal(t, r.String(), rec.Text())
	assert.True(t, strings.HasPrefix(rec.Text(), "GATE FAIL: 22/23 checks passed (95.7%), 1 failed, 3 not applicable, 1 not judged, 2 missing\n"), rec.Text())
	lines := rec.Redacted().checkLines()
	require.NotEmpty(t, lines)
	assert.True(t, strings.HasPrefix(lines[0], "FAIL           TestInfrastructure/check_03: "), lines[0])
	assert.True(t, strings.HasSuffix(lines[0], "..."), "the screen report clips: %s", lines[0])
	assert.Equal(t, GateFail.ExitCode(), 1)
	assert.Equal(t, GateHold.ExitCode(), 3)
	assert.Equal(t, GatePass.ExitCode(), 0)
	assert.Equal(t, GateDecision("?").ExitCode(), 3)
}
