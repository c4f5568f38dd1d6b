package checks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/smokestack-dev/smokestack/fixtures/probes"
	"github.com/smokestack-dev/smokestack/harness"
)

// Checklist lines of the staging security group.
const (
	lineInjection  = "Security Validation: prompt injection protection active (every probe of the corpus refused, benign requests accepted)"
	lineRedaction  = "Security Validation: credential redaction working (no credential in any response or log line)"
	lineCycles     = "Security Validation: DAG cycle detection functional (cyclic DAG 422 with the cycle path, acyclic DAG accepted)"
	lineCodeGuard  = "Security Validation: code validation rejecting dangerous code (with a reason) and accepting safe code"
	securityGroup  = "TestSecurityControls"
	logCatchUpWait = 5 * time.Second
)

// SecurityControls is TestSecurityControls: the checklist's four security
// tests, each over a probe corpus (package fixtures/probes) and in both
// directions — what must be refused is refused, what must pass passes — and
// logs_clean, the service's own keys kept out of its log.
var SecurityControls = []Check{
	{Group: securityGroup, Name: "prompt_injection", Component: harness.Genesis, Part: harness.PartB, Line: lineInjection, Run: probed(promptInjectionCorpus)},
	{Group: securityGroup, Name: "credential_redaction", Component: harness.Genesis, Part: harness.PartB, Line: lineRedaction, Run: probed(credentialRedaction)},
	{Group: securityGroup, Name: "dag_cycle_detection", Component: harness.Genesis, Part: harness.PartC, Line: lineCycles, Run: probed(dagCycleDetection)},
	{Group: securityGroup, Name: "code_validation", Component: harness.Genesis, Part: harness.PartC, Line: lineCodeGuard, Run: probed(codeValidationCorpus)},
	checkLogsClean,
}

// ---- prompt injection ------------------------------------------------------------

func promptInjectionCorpus(ctx context.Context, p probe) error {
	injections, benign := probes.Injections(), probes.Benign()
	want := fmt.Sprintf("status 400 SECURITY_ERROR with details.detected_patterns naming the pattern classes for each of %d injections; status 2xx for each of %d benign requests", len(injections), len(benign))
	for i, inj := range injections {
		rep, err := p.g.Decompose(ctx, harness.DecomposeRequest{UserRequest: inj.Text})
		if err != nil {
			return p.requestFailed(pathDecompose, want, err)
		}
		e := rep.Error
		got := fmt.Sprintf("injection %d of %d (%s, %.50q): status %d, error %s", i+1, len(injections), inj.Class, inj.Text, rep.Resp.Status, showAPIError(e))
		if rep.Resp.Status != http.StatusBadRequest || e == nil || e.Code != "SECURITY_ERROR" {
			return p.failBody(pathDecompose, want, got, rep.Resp)
		}
		if pats := stringList(e.Details["detected_patterns"]); len(pats) == 0 {
			return p.failBody(pathDecompose, want, got+", details.detected_patterns names no pattern class", rep.Resp)
		}
	}
	for i, text := range benign {
		rep, err := p.g.Decompose(ctx, harness.DecomposeRequest{UserRequest: text})
		if err != nil {
			return p.requestFailed(pathDecompose, want, err)
		}
		if !rep.OK() {
			got := fmt.Sprintf("benign request %d of %d (%.60q) refused: status %d%s", i+1, len(benign), text, rep.Resp.Status, errorCode(rep.Error))
			if e := rep.Error; e != nil && e.Code == "SECURITY_ERROR" {
				got += fmt.Sprintf(", detected_patterns %v (a false positive)", stringList(e.Details["detected_patterns"]))
			}
			return p.failBody(pathDecompose, want, got, rep.Resp)
		}
	}
	return nil
}

// stringList is a JSON list of non-empty strings ([] when it is anything else
// or holds anything else).
func stringList(v any) []string {
	raw, ok := v.([]any)
	if !ok {
		return nil
	}
	var out []string
	for _, x := range raw {
		s, ok := x.(string)
		if !ok || strings.TrimSpace(s) == "" {
			return nil
		}
		out = append(out, s)
	}
	return out
}

// ---- credential redaction ----------------------------------------------------------

// findLeak reports the first credential whose secret (or the run's nonce,
// a fragment of every secret) is in text.
func findLeak(text []byte, creds []probes.Credential, nonce string) (string, bool) {
	for _, c := range creds {
		if bytes.Contains(text, []byte(c.Secret)) {
			return c.Class, true
		}
	}
	if bytes.Contains(text, []byte(nonce)) {
		return "a fragment of a probe credential", true
	}
	return "", false
}

// scrub makes text safe to quote: every probe secret and the nonce become
// markers, then the suite's redactor runs over the rest.
func scrub(text string, creds []probes.Credential, nonce string) string {
	for _, c := range creds {
		text = strings.ReplaceAll(text, c.Secret, "[LEAKED "+c.Class+"]")
	}
	return harness.RedactText(strings.ReplaceAll(text, nonce, "[NONCE]"))
}

func credentialRedaction(ctx context.Context, p probe) error {
	began := time.Now()
	nonce := probes.NewNonce()
	creds := probes.Credentials(nonce)
	// Not derived from the nonce: the log quotes correlation ids, and a
	// nonce in one would read as a leak.
	correlation := "smokestack-redaction-" + harness.NewIdempotencyKey()
	want := fmt.Sprintf("status 2xx for each of %d requests carrying a fake credential (%s), and none of them in any response body or log line",
		len(creds), strings.Join(probes.CredentialClasses, ", "))
	for i, c := range creds {
		h := harness.OrchestrationHeaders()
		h.Set("X-Correlation-Id", fmt.Sprintf("%s-%d", correlation, i))
		rep, err := harness.PostEnvelope[harness.Decomposition](ctx, p.g, pathDecompose, harness.DecomposeRequest{UserRequest: c.Carrier}, h)
		if err != nil {
			var he *harness.HTTPError
			if errors.As(err, &he) && rep != nil && rep.Resp != nil {
				if class, ok := findLeak(rep.Resp.Body, creds, nonce); ok {
					return p.fail(pathDecompose, want, fmt.Sprintf("the response to the %s request contains the %s credential", c.Class, class), errors.New(scrub(string(rep.Resp.Body), creds, nonce)))
				}
			}
			return p.fail(pathDecompose, want, "the request carrying the "+c.Class+" credential failed", errors.New(scrub(err.Error(), creds, nonce)))
		}
		if class, ok := findLeak(rep.Resp.Body, creds, nonce); ok {
			return p.fail(pathDecompose, want, fmt.Sprintf("the response to the %s request contains the %s credential", c.Class, class),
				fmt.Errorf("status %d, body: %s", rep.Resp.Status, excerptAround(scrub(string(rep.Resp.Body), creds, nonce), "[LEAKED")))
		}
		if !rep.OK() {
			return p.fail(pathDecompose, want, fmt.Sprintf("the request carrying the %s credential was refused: status %d%s", c.Class, rep.Resp.Status, scrub(errorCode(rep.Error), creds, nonce)),
				fmt.Errorf("body: %s", scrub(rep.Resp.Excerpt(), creds, nonce)))
		}
	}
	return p.logsFreeOf(ctx, began, creds, nonce, fmt.Sprintf("%s-%d", correlation, len(creds)-1), want)
}

// logsFreeOf reads the service's log until it shows the last request (its
// correlation id) or logCatchUpWait has passed, and fails on any line
// holding a probe secret. It runs after the responses were judged clean.
// A log that cannot be read leaves the check NOT JUDGED, saying why and
// that the responses were clean: half of "no credential in any response
// or log line" is not a pass, and an engine too slow to answer is no leak.
// Each read has the check's own deadline: the catch-up wait bounds how
// long the log may lag behind the answers, not how long one read may take
// (a loaded engine's reads take seconds: seen cut by the wait, as FAILs,
// on three stacks of the fault matrix on a slow machine).
func (p probe) logsFreeOf(ctx context.Context, began time.Time, creds []probes.Credential, nonce, lastMarker, want string) error {
	clean := fmt.Sprintf("the responses to the %d requests carrying fake credentials (%s) were clean", len(creds), strings.Join(probes.CredentialClasses, ", "))
	since := began.Add(-harness.EngineClockMargin)
	end := time.Now().Add(logCatchUpWait)
	for {
		log, err := p.s.LogsSince(ctx, harness.Genesis, since)
		var unavailable *harness.LogsUnavailableError
		switch {
		case errors.As(err, &unavailable):
			return CannotJudge("the service's log cannot be read, so no log line could be judged: %s; %s", unavailable.Reason, clean)
		case err != nil && ctx.Err() != nil:
			return CannotJudge("the check's deadline ended while the service's log was read (%v), so no log line could be judged; %s", err, clean)
		case err != nil:
			return CannotJudge("the service's log could not be read (%v), so no log line could be judged; %s", err, clean)
		}
		// Every read is judged, the marker shown or not: a leak is a leak.
		for _, line := range bytes.Split(log, []byte("\n")) {
			if class, ok := findLeak(line, creds, nonce); ok {
				return p.fail("", want, "a log line of "+harness.Genesis.Title()+" contains the "+class+" credential",
					errors.New("log line: "+excerptAround(scrub(string(line), creds, nonce), "[LEAKED")))
			}
		}
		if bytes.Contains(log, []byte(lastMarker)) {
			return nil
		}
		if !sleepUntilNext(ctx, end) {
			if ctx.Err() != nil {
				return CannotJudge("the check's deadline ended before the service's log showed this check's requests (correlation id %s), so not every log line could be judged; %s", lastMarker, clean)
			}
			return p.fail("", want+" (log read through the container engine)",
				fmt.Sprintf("the log never showed this check's requests (correlation id %s) within %s", lastMarker, logCatchUpWait),
				fmt.Errorf("%d bytes of log since %s, none of them the correlation id; next: does every request's log line carry its X-Correlation-Id as correlation_id (CONTRACT.md)?", len(log), since.UTC().Format(time.RFC3339Nano)))
		}
	}
}

// excerptAround quotes up to 240 characters of s around the first marker.
func excerptAround(s, marker string) string {
	i := strings.Index(s, marker)
	if i < 0 {
		i = 0
	}
	from, to := max(0, i-120), min(len(s), i+120)
	for from > 0 && !isRuneStart(s[from]) {
		from--
	}
	for to < len(s) && !isRuneStart(s[to]) {
		to++
	}
	return s[from:to]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// ---- DAG cycle detection -------------------------------------------------------------

// planFor is a validation request for a probe DAG, routed completely (one
// agent per task type), so only the graph's shape can be wrong.
func planFor(d probes.DAG) harness.ValidateRequest {
	agentFor := map[string]string{"design": "spec", "implement": "builder", "test": "qa", "deploy": "deploy",
		"marketing": "marketing", "support": "support", "analytics": "analyst", "security": "security"}
	one := 0.5
	dag := harness.Decomposition{DagID: "smokestack-" + d.Name, Dependencies: map[string][]string{}, RootTasks: []string{}, LeafTasks: []string{}}
	assign, explain, work := map[string]string{}, map[string]string{}, map[string]int{}
	dependedOn := map[string]bool{}
	for _, parents := range d.Dependencies {
		for _, p := range parents {
			dependedOn[p] = true
		}
	}
	for _, t := range d.Tasks {
		dag.Tasks = append(dag.Tasks, harness.Task{TaskID: t.TaskID, Description: t.Description, TaskType: t.TaskType, Priority: &one, EstimatedComplexity: []byte("1")})
		dag.Dependencies[t.TaskID] = append([]string{}, d.Dependencies[t.TaskID]...)
		if len(d.Dependencies[t.TaskID]) == 0 {
			dag.RootTasks = append(dag.RootTasks, t.TaskID)
		}
		if !dependedOn[t.TaskID] {
			dag.LeafTasks = append(dag.LeafTasks, t.TaskID)
		}
		a := agentFor[t.TaskType]
		assign[t.TaskID], explain[t.TaskID] = a, t.TaskType+" work goes to "+a
		work[a]++
	}
	complete := true
	return harness.ValidateRequest{DAG: dag, RoutingPlan: harness.RoutingPlan{IsComplete: &complete, Assignments: assign,
		Explanations: explain, UnassignedTasks: []string{}, Workload: work}}
}

func dagCycleDetection(ctx context.Context, p probe) error {
	cyclic, acyclic := probes.CyclicDAGs(), probes.AcyclicDAGs()
	want := fmt.Sprintf("status 422 DECOMPOSITION_ERROR with details.cycle, the cycle's path, for each of %d cyclic DAGs; each of %d acyclic DAGs not reported as cyclic (status 2xx)", len(cyclic), len(acyclic))
	for _, d := range cyclic {
		rep, err := p.g.ValidatePlan(ctx, planFor(d))
		if err := reached(p, http.MethodPost, pathValidate, want, rep, err); err != nil {
			return err
		}
		e := rep.Error
		if !cycleRefused(rep) {
			return p.failBody(pathValidate, want, fmt.Sprintf("cyclic DAG %s (%s): status %d, error %s", d.Name, strings.Join(d.Cycle, ", "), rep.Resp.Status, showAPIError(e)), rep.Resp)
		}
		path := stringList(e.Details["cycle"])
		if why := cyclePathProblem(path, d); why != "" {
			return p.failBody(pathValidate, want, fmt.Sprintf("cyclic DAG %s: details.cycle %v: %s", d.Name, e.Details["cycle"], why), rep.Resp)
		}
	}
	for _, d := range acyclic {
		rep, err := p.g.ValidatePlan(ctx, planFor(d))
		if err := reached(p, http.MethodPost, pathValidate, want, rep, err); err != nil {
			return err
		}
		if !rep.OK() {
			return p.failBody(pathValidate, want, fmt.Sprintf("acyclic DAG %s: status %d, error %s", d.Name, rep.Resp.Status, showAPIError(rep.Error)), rep.Resp)
		}
		for _, issue := range rep.Data.Issues {
			if strings.Contains(strings.ToLower(fmt.Sprint(issue)), "cycl") {
				return p.failBody(pathValidate, want, fmt.Sprintf("acyclic DAG %s reported with issue %.120v", d.Name, issue), rep.Resp)
			}
		}
	}
	return nil
}

// cycleRefused is the contract's refusal of a cyclic plan: status 422,
// error DECOMPOSITION_ERROR.
func cycleRefused(rep *harness.Reply[harness.PlanValidation]) bool {
	e := rep.Error
	return rep.Resp.Status == http.StatusUnprocessableEntity && e != nil && e.Code == "DECOMPOSITION_ERROR"
}

// cyclePathProblem says what is wrong with path as the cycle of d ("" when
// nothing): it must close on itself, visit exactly the cycle's members once,
// and follow the dependencies, all in one direction.
func cyclePathProblem(path []string, d probes.DAG) string {
	if len(path) == 0 {
		return "no cycle path"
	}
	if !isCyclePath(path, d.Cycle) {
		return fmt.Sprintf("not a closed path through exactly %v", d.Cycle)
	}
	dependsOn := func(a, b string) bool {
		for _, x := range d.Dependencies[a] {
			if x == b {
				return true
			}
		}
		return false
	}
	forward, backward := true, true
	for i := 0; i+1 < len(path); i++ {
		forward = forward && dependsOn(path[i], path[i+1])
		backward = backward && dependsOn(path[i+1], path[i])
	}
	if !forward && !backward {
		return "consecutive tasks are not linked by dependencies"
	}
	return ""
}

// ---- code validation -------------------------------------------------------------------

// codeVerdict validates code (first is its first line, as failures quote
// it) and fails an answer that is no 2xx, has no valid field or says valid
// other than wantValid; the reason is the caller's to judge.
func (p probe) codeVerdict(ctx context.Context, code, language, first, want string, wantValid bool) (*harness.Reply[harness.CodeValidation], error) {
	rep, err := p.g.ValidateCode(ctx, code, language)
	if err := reached(p, http.MethodPost, pathValidateCode, want, rep, err); err != nil {
		return nil, err
	}
	if !rep.OK() {
		return nil, p.failBody(pathValidateCode, want, fmt.Sprintf("status %d for %q%s", rep.Resp.Status, first, errorCode(rep.Error)), rep.Resp)
	}
	switch v := rep.Data; {
	case v.Valid == nil:
		return nil, p.failBody(pathValidateCode, want, fmt.Sprintf("no valid field for %q", first), rep.Resp)
	case *v.Valid != wantValid:
		return nil, p.failBody(pathValidateCode, want, fmt.Sprintf("valid %t for %q (reason %q)", *v.Valid, first, v.Reason), rep.Resp)
	}
	return rep, nil
}

func codeValidationCorpus(ctx context.Context, p probe) error {
	dangerous, safe := probes.DangerousCode(), probes.SafeCode()
	want := fmt.Sprintf("valid false with a reason naming the danger for each of %d dangerous samples, valid true for each of %d safe samples", len(dangerous), len(safe))
	judge := func(c probes.CodeSample, wantValid bool) error {
		first := c.FirstLine()
		rep, err := p.codeVerdict(ctx, c.Code, c.Language, first, want, wantValid)
		if err != nil {
			return err
		}
		if v := rep.Data; !wantValid && !mentionsAny(v.Reason, c.Mentions) {
			return p.failBody(pathValidateCode, want, fmt.Sprintf("rejected %q with reason %q, which names none of %v", first, v.Reason, c.Mentions), rep.Resp)
		}
		return nil
	}
	for _, c := range dangerous {
		if err := judge(c, false); err != nil {
			return err
		}
	}
	for _, c := range safe {
		if err := judge(c, true); err != nil {
			return err
		}
	}
	return nil
}

func mentionsAny(reason string, names []string) bool {
	low := strings.ToLower(reason)
	for _, n := range names {
		if strings.Contains(low, strings.ToLower(n)) {
			return true
		}
	}
	return false
}
