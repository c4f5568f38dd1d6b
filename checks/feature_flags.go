package checks

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/smokestack-dev/smokestack/harness"
)

// Checklist lines of the staging flag and security groups.
const (
	lineFlagsCritical = "Feature Flag Validation: all 5 critical flags enabled (orchestration, security hardening, error handling, OTEL, performance optimizations)"
	lineFlagsSafety   = "Feature Flag Validation: the safety flags emergency_shutdown, read_only_mode and maintenance_mode are off"
	lineFlagsPhase4   = "Feature Flag Validation: Phase 4 rollout active (strategy, phase and current % consistent)"
	lineFlagsDrill    = "Feature Flag Validation: a flag round trip — emergency_shutdown switched on refuses orchestration, switched off restores it"
)

// FeatureFlags is TestFeatureFlags: the checklist's Feature Flag
// Validation, from GET /flags and GET /flags/{name}/rollout (contract part
// C; a deployment that answers 404 for them skips with the reason), and the
// emergency_shutdown drill a rollback relies on.
var FeatureFlags = []Check{
	{Group: "TestFeatureFlags", Name: "critical_flags_enabled", Component: harness.Genesis, Part: harness.PartC, Line: lineFlagsCritical, Run: criticalFlagsEnabled},
	{Group: "TestFeatureFlags", Name: "safety_flags_off", Component: harness.Genesis, Part: harness.PartC, Line: lineFlagsSafety, Run: safetyFlagsOff},
	{Group: "TestFeatureFlags", Name: "phase4_rollout", Component: harness.Genesis, Part: harness.PartC, Line: lineFlagsPhase4, Run: probed(phase4Rollout)},
	{Group: "TestFeatureFlags", Name: "emergency_shutdown_drill", Component: harness.Genesis, Part: harness.PartC, Line: lineFlagsDrill, Mutates: true, Run: probed(emergencyShutdownDrill)},
}

// SafetyFlags must be off on a serving deployment: each refuses work.
var SafetyFlags = []string{"emergency_shutdown", "read_only_mode", "maintenance_mode"}

// Phase4Flag is the progressive rollout the checklist follows.
const Phase4Flag = "phase_4_deployment"

const pathFlags = "/flags"

// flags reads GET /flags; a 404 skips (contract part C not served).
func (p probe) flags(ctx context.Context, want string) (map[string]harness.Flag, *harness.Response, error) {
	rep, err := harness.Done(p.g.Flags(ctx))
	resp := rep.Response()
	if resp != nil && resp.Status == http.StatusNotFound {
		return nil, resp, p.notFound(resp, http.MethodGet, pathFlags)
	}
	if err != nil {
		return nil, resp, p.requestFailed(pathFlags, want, err)
	}
	flags := *rep.Data
	if len(flags) == 0 {
		return nil, resp, p.failBody(pathFlags, want, "no flags", resp)
	}
	return flags, resp, nil
}

func criticalFlagsEnabled(ctx context.Context, s *harness.Stack) error {
	want := "each of " + strings.Join(CriticalFlags, ", ") + " present and enabled for everyone (enabled true; strategy all_at_once or rollout_percentage 100)"
	return flagsJudged(ctx, s, want, CriticalFlags, " missing", func(n string, f harness.Flag) string {
		switch {
		case !*f.Enabled:
			return n + " disabled"
		case f.Strategy == "all_at_once":
		case f.Strategy == "canary":
			return n + " enabled for canaries only (strategy canary)"
		case f.RolloutPercentage == nil || *f.RolloutPercentage < 100:
			return fmt.Sprintf("%s rolling out (strategy %q, rollout_percentage %s), not enabled for everyone", n, f.Strategy, showPct(f.RolloutPercentage))
		}
		return ""
	})
}

func safetyFlagsOff(ctx context.Context, s *harness.Stack) error {
	want := "each of " + strings.Join(SafetyFlags, ", ") + " present and off (enabled false)"
	return flagsJudged(ctx, s, want, SafetyFlags, " missing (a deployment that cannot be switched off in an emergency)", func(n string, f harness.Flag) string {
		if *f.Enabled {
			return n + " ON"
		}
		return ""
	})
}

// flagsJudged reads /flags and fails with what is wrong with each of the
// named flags, all of them in one failure. A flag that is absent (its name
// with missing appended) or has no enabled field is wrong whatever it
// should be set to, so judge sees only the others ("" is nothing wrong).
func flagsJudged(ctx context.Context, s *harness.Stack, want string, names []string, missing string, judge func(n string, f harness.Flag) string) error {
	p, err := newProbe(s)
	if err != nil {
		return err
	}
	flags, resp, err := p.flags(ctx, want)
	if err != nil {
		return err
	}
	var problems []string
	for _, n := range names {
		f, ok := flags[n]
		var pr string
		switch {
		case !ok:
			pr = n + missing
		case f.Enabled == nil:
			pr = n + " has no enabled field"
		default:
			pr = judge(n, f)
		}
		if pr != "" {
			problems = append(problems, pr)
		}
	}
	return p.failProblems(pathFlags, want, problems, resp)
}

func showPct(v *float64) string {
	if v == nil {
		return "absent"
	}
	return fmt.Sprintf("%g", *v)
}

// clockSkew is how far the service's clock may be from ours when a rollout
// phase is judged against its dates.
const clockSkew = 5 * time.Minute

// pctTolerance is how far (percentage points) a progressive rollout's
// current_percentage may be from the linear ramp between its dates.
const pctTolerance = 1.0

func phase4Rollout(ctx context.Context, p probe) error {
	want := "enabled, strategy progressive, phase " + strings.Join(harness.RolloutPhases, "|") +
		" matching start_date/end_date, current_percentage within [initial_percentage, end_percentage] on the linear ramp"
	r, resp, err := p.rollout(ctx, Phase4Flag, want)
	if err != nil {
		return err
	}
	if problems := judgeRollout(r, time.Now()); len(problems) > 0 {
		return p.failBody(rolloutPath(Phase4Flag), want, problemsText(problems), resp)
	}
	return nil
}

func rolloutPath(name string) string { return "/flags/" + name + "/rollout" }

// rollout reads GET /flags/{name}/rollout and insists on 200: a 404 is an
// unknown flag or a lost route (/flags tells which), either a failure.
func (p probe) rollout(ctx context.Context, name, want string) (*harness.Rollout, *harness.Response, error) {
	path := rolloutPath(name)
	rRep, err := p.g.Rollout(ctx, name)
	if err != nil {
		return nil, rRep.Response(), p.requestFailed(path, want, err)
	}
	r, resp := rRep.Data, rRep.Resp
	if resp.Status == http.StatusNotFound {
		// An unknown flag or an unserved route: /flags tells which.
		fRep, ferr := harness.Done(p.g.Flags(ctx))
		fresp := fRep.Response()
		if fresp != nil && fresp.Status == http.StatusNotFound {
			return nil, resp, p.notFound(fresp, http.MethodGet, path)
		}
		if ferr != nil {
			return nil, resp, p.failBody(path, want, "status 404, and /flags does not answer either ("+shortErr(ferr)+")", resp)
		}
		return nil, resp, p.failBody(path, want, "status 404: the service does not know "+name, resp)
	}
	if resp.Status != http.StatusOK {
		return nil, resp, p.failBody(path, want, fmt.Sprintf("status %d", resp.Status), resp)
	}
	return r, resp, nil
}

// judgeRollout lists what is wrong with a progressive rollout seen at now.
func judgeRollout(r *harness.Rollout, now time.Time) []string {
	var out []string
	switch {
	case r.Enabled == nil:
		out = append(out, "no enabled field")
	case !*r.Enabled:
		out = append(out, "enabled false: the rollout is not active")
	}
	if r.Strategy != "progressive" {
		out = append(out, fmt.Sprintf("strategy %q, not progressive", r.Strategy))
	}
	if !slices.Contains(harness.RolloutPhases, r.Phase) {
		out = append(out, fmt.Sprintf("phase %q, not one of %s", r.Phase, strings.Join(harness.RolloutPhases, "|")))
	}
	start, serr := parseISO(r.StartDate)
	end, eerr := parseISO(r.EndDate)
	if serr != nil {
		out = append(out, fmt.Sprintf("start_date %q is not ISO-8601", r.StartDate))
	}
	if eerr != nil {
		out = append(out, fmt.Sprintf("end_date %q is not ISO-8601", r.EndDate))
	}
	if serr == nil && eerr == nil && !start.Before(end) {
		out = append(out, fmt.Sprintf("start_date %s is not before end_date %s", r.StartDate, r.EndDate))
	}
	ini, fin, cur := r.InitialPercentage, r.EndPercentage, r.CurrentPercentage
	if ini == nil || fin == nil || cur == nil {
		for name, v := range map[string]*float64{"initial_percentage": ini, "end_percentage": fin, "current_percentage": cur} {
			if v == nil {
				out = append(out, "no "+name)
			}
		}
		sort.Strings(out)
		return out
	}
	if *ini < 0 || *fin > 100 || *ini > *fin {
		out = append(out, fmt.Sprintf("initial_percentage %g and end_percentage %g are not 0 <= initial <= end <= 100", *ini, *fin))
	}
	if len(out) > 0 {
		return out
	}
	// The phase from the dates, allowing for clock skew at the edges.
	var phases []string
	switch {
	case now.Before(start.Add(-clockSkew)):
		phases = []string{"not_started"}
	case now.Before(start.Add(clockSkew)):
		phases = []string{"not_started", "in_progress"}
	case now.Before(end.Add(-clockSkew)):
		phases = []string{"in_progress"}
	case now.Before(end.Add(clockSkew)):
		phases = []string{"in_progress", "completed"}
	default:
		phases = []string{"completed"}
	}
	if !slices.Contains(phases, r.Phase) {
		out = append(out, fmt.Sprintf("phase %q, but now (%s) is %s start_date %s and end_date %s", r.Phase,
			now.UTC().Format(time.RFC3339), whereInWindow(now, start, end), r.StartDate, r.EndDate))
	}
	switch r.Phase {
	case "not_started":
		if *cur != 0 && *cur != *ini {
			out = append(out, fmt.Sprintf("phase not_started with current_percentage %g (want 0 before the start)", *cur))
		}
	case "completed":
		if *cur != *fin {
			out = append(out, fmt.Sprintf("phase completed with current_percentage %g, not end_percentage %g", *cur, *fin))
		}
	case "in_progress":
		if *cur < *ini || *cur > *fin {
			out = append(out, fmt.Sprintf("current_percentage %g outside [%g, %g]", *cur, *ini, *fin))
			break
		}
		frac := float64(now.Sub(start)) / float64(end.Sub(start))
		frac = math.Max(0, math.Min(1, frac))
		exp := *ini + frac*(*fin-*ini)
		// Skew moves the expectation too: allow what clockSkew is worth.
		tol := pctTolerance + float64(clockSkew)/float64(end.Sub(start))*(*fin-*ini)
		if math.Abs(*cur-exp) > tol {
			out = append(out, fmt.Sprintf("current_percentage %g, but the linear ramp from %g%% to %g%% is at %.1f%% now", *cur, *ini, *fin, exp))
		}
	}
	return out
}

func whereInWindow(now, start, end time.Time) string {
	switch {
	case now.Before(start):
		return "before"
	case now.Before(end):
		return "between"
	}
	return "after"
}

// ---- the emergency_shutdown drill -------------------------------------------

// ShutdownFlag is the flag a rollback switches on.
const ShutdownFlag = "emergency_shutdown"

// drillWait bounds how long a flag write may take to show (a service may
// cache flags for a moment).
const drillWait = 5 * time.Second

// restoreTimeout bounds the restore of the drill, which runs even after the
// check's own deadline has passed.
const restoreTimeout = 10 * time.Second

func emergencyShutdownDrill(ctx context.Context, p probe) (err error) {
	s := p.s
	path := "/flags/" + ShutdownFlag
	key := s.Config().AdminKey
	if key.Value() == "" {
		return CannotJudge("the drill writes %s with the admin key, and none is configured: set %s", ShutdownFlag, harness.Env.AdminKey)
	}
	// Before anything changes: is it off now? A drill must not switch off a
	// real shutdown that an operator switched on.
	on, err := p.readFlag(ctx, ShutdownFlag)
	if err != nil {
		return err
	}
	if on {
		return p.fail(path+"/rollout", ShutdownFlag+" off before the drill", ShutdownFlag+" already enabled: the deployment is shut down; the drill does not touch it", nil)
	}
	// From the first write on, whatever happens, put it back.
	wrote := false
	defer func() {
		if !wrote {
			return
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restoreTimeout)
		defer cancel()
		restored, rerr := p.g.SetFlag(rctx, ShutdownFlag, false, key)
		resp := restored.Response()
		if rerr == nil && resp != nil && resp.Status/100 == 2 {
			on, rerr2 := p.readFlag(rctx, ShutdownFlag)
			if rerr2 == nil && !on {
				return
			}
			rerr = errors.Join(rerr2, fmt.Errorf("%s still reads enabled after the restoring write", ShutdownFlag))
		}
		restore := p.fail(path, ShutdownFlag+" switched back off after the drill", "the restoring write failed: THE SERVICE MAY STILL BE SHUT DOWN", errors.Join(rerr, respErr(resp)))
		err = errors.Join(err, restore)
	}()

	wrote = true
	if refused, err := p.setFlag(ctx, ShutdownFlag, true, key); err != nil {
		wrote = !refused // a refused write changed nothing
		return err
	}
	if err := p.awaitFlag(ctx, ShutdownFlag, true); err != nil {
		return err
	}
	if err := p.awaitRefusal(ctx); err != nil {
		return err
	}
	if _, err := p.setFlag(ctx, ShutdownFlag, false, key); err != nil {
		return err
	}
	if err := p.awaitFlag(ctx, ShutdownFlag, false); err != nil {
		return err
	}
	wrote = false // off again, read back: nothing to restore
	return p.awaitServing(ctx)
}

func respErr(resp *harness.Response) error {
	if resp == nil {
		return nil
	}
	return fmt.Errorf("status %d, body: %s", resp.Status, resp.Excerpt())
}

// readFlag reads a flag's enabled state from GET /flags/{name}/rollout.
func (p probe) readFlag(ctx context.Context, name string) (bool, error) {
	path := "/flags/" + name + "/rollout"
	want := "status 200 with the flag's enabled state"
	rRep, err := p.g.Rollout(ctx, name)
	if err != nil {
		return false, p.requestFailed(path, want, err)
	}
	r, resp := rRep.Data, rRep.Resp
	if resp.Status == http.StatusNotFound {
		if fRep, _ := p.g.Flags(ctx); fRep.Response() != nil && fRep.Resp.Status == http.StatusNotFound {
			return false, p.notFound(fRep.Resp, http.MethodGet, path)
		}
		return false, p.failBody(path, want, "status 404: the service does not know "+name, resp)
	}
	if resp.Status != http.StatusOK {
		return false, p.failBody(path, want, fmt.Sprintf("status %d", resp.Status), resp)
	}
	if r.Enabled == nil {
		return false, p.failBody(path, want, "no enabled field", resp)
	}
	return *r.Enabled, nil
}

// setFlag makes the admin write; refused says the service answered it with
// a non-2xx status (so nothing changed).
func (p probe) setFlag(ctx context.Context, name string, enabled bool, key harness.Secret) (refused bool, err error) {
	path := "/flags/" + name
	want := fmt.Sprintf("status 2xx for the admin write {\"enabled\": %t}", enabled)
	fRep, err := p.g.SetFlag(ctx, name, enabled, key)
	if err != nil {
		return false, p.requestFailed(path, want, err)
	}
	f, resp := fRep.Data, fRep.Resp
	if f == nil {
		return true, p.failBody(path, want, fmt.Sprintf("status %d", resp.Status), resp)
	}
	if f.Enabled != nil && *f.Enabled != enabled {
		return false, p.failBody(path, want+" answering the flag as written", fmt.Sprintf("the answer says enabled %t", *f.Enabled), resp)
	}
	return false, nil
}

// awaitFlag reads the flag back until it shows enabled (within drillWait).
func (p probe) awaitFlag(ctx context.Context, name string, enabled bool) error {
	var last error
	var seen bool
	err := harness.Eventually(ctx, fmt.Sprintf("%s reads back enabled %t", name, enabled), drillWait, 200*time.Millisecond,
		func(ctx context.Context) error {
			on, err := p.readFlag(ctx, name)
			if err != nil {
				last = err
				return harness.Permanent(err)
			}
			seen = on
			if on != enabled {
				return fmt.Errorf("enabled %t", on)
			}
			return nil
		})
	if err == nil {
		return nil
	}
	if last != nil {
		return last
	}
	return p.fail("/flags/"+name+"/rollout", fmt.Sprintf("%s read back enabled %t after the write", name, enabled),
		fmt.Sprintf("enabled %t for %s after writing %t", seen, drillWait, enabled), err)
}

// awaitRefusal: with emergency_shutdown on, orchestration is refused with
// 503 and a reason that names the shutdown.
func (p probe) awaitRefusal(ctx context.Context) error {
	want := "status 503 refusing orchestration, with a reason naming emergency_shutdown (error.message or details.reason)"
	return p.awaitDecomposition(ctx, "orchestration refused during emergency_shutdown", want, " with "+ShutdownFlag+" on",
		func(rep *harness.Reply[harness.Decomposition]) (string, bool) {
			reason := ""
			if e := rep.Error; e != nil {
				reason = e.Message
				if r, ok := e.Details["reason"].(string); ok {
					reason += " " + r
				}
			}
			got := fmt.Sprintf("status %d, reason %q", rep.Resp.Status, strings.TrimSpace(reason))
			low := strings.ToLower(reason)
			return got, rep.Resp.Status == http.StatusServiceUnavailable && (strings.Contains(low, "emergency") || strings.Contains(low, "shutdown"))
		})
}

// awaitServing: with emergency_shutdown off again, orchestration answers 2xx.
func (p probe) awaitServing(ctx context.Context) error {
	want := "status 2xx for a decomposition once " + ShutdownFlag + " is off again"
	return p.awaitDecomposition(ctx, "orchestration serving after emergency_shutdown", want, ": orchestration still refused after the drill",
		func(rep *harness.Reply[harness.Decomposition]) (string, bool) {
			if !rep.OK() {
				return fmt.Sprintf("status %d%s", rep.Resp.Status, errorCode(rep.Error)), false
			}
			return "", true
		})
}

// awaitDecomposition decomposes a simple request every 200ms until judge
// accepts the answer or drillWait is over, and then fails with the last
// answer judge described (or the last request error), followed by after.
func (p probe) awaitDecomposition(ctx context.Context, what, want, after string, judge func(*harness.Reply[harness.Decomposition]) (got string, ok bool)) error {
	var got string
	var resp *harness.Response
	err := harness.Eventually(ctx, what, drillWait, 200*time.Millisecond,
		func(ctx context.Context) error {
			rep, err := p.g.Decompose(ctx, harness.DecomposeRequest{UserRequest: simpleRequest})
			if err != nil {
				got = "no answer: " + shortErr(err)
				return err
			}
			resp = rep.Resp
			var ok bool
			if got, ok = judge(rep); !ok {
				return errors.New(got)
			}
			return nil
		})
	if err != nil {
		return p.failBody(pathDecompose, want, got+after, resp)
	}
	return nil
}
