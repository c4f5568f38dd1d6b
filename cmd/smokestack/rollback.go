package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/smokestack-dev/smokestack/checks"
	"github.com/smokestack-dev/smokestack/harness"
	"github.com/smokestack-dev/smokestack/verdict"
)

// rollbackTarget is the checklist's "Rollback Time Target: <15 minutes".
const rollbackTarget = 15 * time.Minute

// rollbackTimeout bounds one run of the command (flag writes, read-backs,
// the verification).
const rollbackTimeout = 5 * time.Minute

// defaultRollbackLog is the checklist's logs/rollback.log.
const defaultRollbackLog = "logs/rollback.log"

// Exit codes of rollback.
const (
	exitRolledBack     = 0
	exitRollbackFailed = 1
	exitRollbackUsage  = 2
	exitUnverified     = 3
)

var rollbackCommand = &command{
	name:  "rollback",
	args:  "-reason TEXT [flags]  |  -restore [flags]",
	short: "the checklist's rollback: emergency_shutdown on, phase_4_deployment off, verified, logged (-restore undoes it)",
	long: `Carries out the automatable steps of the checklist's Rollback Procedure on a live deployment
(SMOKE_TARGET=live and its URLs, or SMOKE_CONFIG, as every command reads them):

  1. emergency_shutdown on, then phase_4_deployment off: admin writes (PUT /flags/NAME with
     SMOKE_ADMIN_KEY), each read back until the service shows it; then orchestration must be
     refused with 503 naming the shutdown. A write refused, answered otherwise, or never read
     back (a write the service ignores) is a failed rollback, and says so.
  4. verify: the critical smoke checks run in process against the target; each outcome is
     reported, the orchestration checks refused by the shutdown as intended.
  5. document: one JSON line appended to -log: time, reason, who (-who, else $USER), the
     verdict that triggered it (-verdict FILE, the report smokestack gate/verdict -json wrote),
     the flags before and after, each write, the verification, and the elapsed time against
     the checklist's 15-minute target (also printed). A failed attempt is logged too.

Steps 2 and 3 (revert to the previous version, restart) are the operator's; the command says
so. It changes the target, so it refuses unless SMOKE_ALLOW_MUTATION=1. The admin key is
never printed nor logged.

-restore puts the flags back as the last rollback in -log found them (after a drill, or once
the fix is out), reads them back, checks orchestration serves again (when emergency_shutdown
goes back off), re-runs the critical checks and logs a restore line. A rollback already
restored is said, and not restored twice.`,
	exits: "0 rolled back (or restored) and verified   1 FAILED: a flag write refused, ignored or not read back, or orchestration still served — the target is NOT rolled back   " +
		"2 refused before any change: usage, configuration, SMOKE_ALLOW_MUTATION not 1, no admin key, or a log or verdict file that cannot be opened   " +
		"3 rolled back, but the verification failed beyond the shutdown, could not judge a critical check, or the log line could not be written: look before going on",
	example: `SMOKE_CONFIG=deploy.env SMOKE_ALLOW_MUTATION=1 smokestack rollback -reason "P95 over 500ms after 2.4.1" -verdict verdict.json`,
	flags:   func(fs *flag.FlagSet) { new(rollbackFlags).declare(fs) },
	run:     rollbackMain,
}

type rollbackFlags struct {
	reason, who, verdictPath, logPath string
	restore                           bool
}

func (f *rollbackFlags) declare(fs *flag.FlagSet) {
	fs.StringVar(&f.reason, "reason", "", "why the deployment is rolled back, in words: the `TEXT` goes to the log (required to roll back)")
	fs.StringVar(&f.who, "who", "", "`NAME` of who rolls back, for the log (default $USER)")
	fs.StringVar(&f.verdictPath, "verdict", "", "the `FILE` smokestack gate/verdict/monitor -json wrote for the run that triggered the rollback, summarised in the log")
	fs.StringVar(&f.logPath, "log", defaultRollbackLog, "the rollback log `FILE`: one JSON line appended per rollback or restore; its folder is created")
	fs.BoolVar(&f.restore, "restore", false, "put the flags back as the last rollback in -log found them (a drill's end, or once the fix is out)")
}

// rollbackEntry is one line of the rollback log. Fields are only ever added.
type rollbackEntry struct {
	Action       string              `json:"action"` // rollback or restore
	Time         time.Time           `json:"time"`
	Reason       string              `json:"reason,omitempty"`
	Who          string              `json:"who"`
	Target       string              `json:"target"`
	Verdict      *verdictRef         `json:"verdict"`            // rollback: null without -verdict
	Restores     *time.Time          `json:"restores,omitempty"` // restore: the time of the rollback it undid
	FlagsBefore  map[string]*bool    `json:"flags_before"`       // null: the flag could not be read
	FlagsAfter   map[string]*bool    `json:"flags_after"`
	Writes       []writeRecord       `json:"writes"`
	Orchestrated *stepRecord         `json:"orchestration"` // refused after a rollback, serving after a restore
	Verification *verificationRecord `json:"verification"`
	Result       string              `json:"result"` // rolled_back, rolled_back_unverified, failed, restored, restored_unverified, restore_failed
	Errors       []string            `json:"errors,omitempty"`
	Elapsed      float64             `json:"elapsed_seconds"`
	TargetTime   float64             `json:"target_seconds"`
	WithinTarget bool                `json:"within_target"`
	ExitCode     int                 `json:"exit_code"`
}

type writeRecord struct {
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
	OK      bool   `json:"ok"`
	Error   string `json:"error,omitempty"`
}

type stepRecord struct {
	Want  string `json:"want"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// verdictRef is the triggering report, summarised.
type verdictRef struct {
	File     string           `json:"file"`
	Kind     string           `json:"kind"`
	Time     time.Time        `json:"time"`
	Decision verdict.Decision `json:"decision,omitempty"`
	Gate     string           `json:"gate"`
	ExitCode int              `json:"exit_code"`
	PassRate *float64         `json:"pass_rate"`
	Counts   verdict.Counts   `json:"counts"`
	Failed   []string         `json:"failed"`
	Reasons  []string         `json:"reasons"`
}

type verificationRecord struct {
	Ran               bool            `json:"ran"`
	Checks            []verifiedCheck `json:"checks"`
	Passed            int             `json:"passed"`
	RefusedByShutdown int             `json:"refused_by_shutdown"`
	Failed            int             `json:"failed"`
	NotJudged         int             `json:"not_judged"`
	NotApplicable     int             `json:"not_applicable"`
}

type verifiedCheck struct {
	ID                string `json:"id"`
	Outcome           string `json:"outcome"`
	RefusedByShutdown bool   `json:"refused_by_shutdown,omitempty"`
	Reason            string `json:"reason,omitempty"`
}

func rollbackMain(c *command, args []string, std stdio) int {
	start := time.Now()
	var f rollbackFlags
	fs := c.flagSet(&f)
	code, done := c.parseFlags(fs, args, std, exitRollbackUsage)
	if done {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(std.err, "smokestack rollback: "+format+"\n", a...)
		return exitRollbackUsage
	}
	cfg, err := harness.ConfigFromEnv()
	if err != nil {
		return fail("%v", err)
	}
	// Refused before anything else is asked: the command changes the
	// target, and live mode is read-only unless the user says otherwise.
	if !cfg.AllowMutation {
		return fail("refused: a rollback changes the target's flags, and smokestack only changes a deployment when told to: set %s=1 (nothing was changed)", harness.Env.AllowMutation)
	}
	if cfg.Mode != harness.Live {
		return fail("a rollback acts on a running deployment: set %s=live and its URLs (or %s=FILE, e.g. the one smokestack up wrote)", harness.Env.Target, harness.Env.ConfigFile)
	}
	if cfg.URLs[harness.Genesis] == "" {
		return fail("the flags are the Genesis service's: set %s", harness.Env.A2AURL)
	}
	if cfg.AdminKey.Value() == "" {
		return fail("the flag writes need the admin key: set %s", harness.Env.AdminKey)
	}
	if !f.restore && strings.TrimSpace(f.reason) == "" {
		return c.usageError(std, "-reason is required: why the deployment is rolled back (it goes to the log)")
	}
	sc := scrubber(cfg)
	who := rollbackWho(f.who)
	var ref *verdictRef
	if f.verdictPath != "" {
		if f.restore {
			return c.usageError(std, "-verdict is for a rollback, not a restore")
		}
		if ref, err = readVerdictRef(f.verdictPath); err != nil {
			return fail("-verdict %s: %v", f.verdictPath, err)
		}
	}
	var undo *rollbackEntry
	if f.restore {
		u, already, err := lastRollback(f.logPath)
		switch {
		case err != nil:
			return fail("-restore: %v", err)
		case already != nil:
			fmt.Fprintf(std.out, "nothing to restore: the last rollback in %s (%s) was restored at %s\n",
				f.logPath, u.Time.Format(time.RFC3339), already.Time.Format(time.RFC3339))
			return exitRolledBack
		}
		undo = u
	}
	logFile, err := openRollbackLog(f.logPath)
	if err != nil {
		return fail("%v", err)
	}
	defer logFile.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, rollbackTimeout)
	defer cancel()
	s, err := harness.Open(ctx, cfg)
	if err != nil {
		return fail("%s", sc(err.Error()))
	}
	e := rollbackEntry{Action: "rollback", Time: start.UTC(), Reason: sc(strings.TrimSpace(f.reason)), Who: sc(who),
		Target: harness.RedactURL(s.URL(harness.Genesis)), Verdict: ref, TargetTime: rollbackTarget.Seconds()}
	if undo != nil {
		e.Action, e.Restores, e.Verdict = "restore", &undo.Time, nil
		code = restoreFlags(ctx, s, undo, &e, sc)
	} else {
		code = rollBack(ctx, s, &e, sc)
	}
	elapsed := time.Since(start)
	e.Elapsed, e.WithinTarget, e.ExitCode = elapsed.Seconds(), elapsed < rollbackTarget, code
	fmt.Fprint(std.out, sc(e.text(f.logPath, elapsed)))
	line, err := json.Marshal(e)
	if err == nil {
		_, err = logFile.Write(append(line, '\n'))
	}
	if err == nil {
		err = logFile.Sync()
	}
	if err != nil {
		// Too late to refuse: the target has changed. A rollback that
		// worked is not done until it is documented; a failed one keeps
		// its exit code.
		fmt.Fprintf(std.err, "smokestack rollback: the log %s could not be written (document this by hand): %v\n", f.logPath, err)
		if code == exitRolledBack {
			code = exitUnverified
		}
	}
	return code
}

// rollBack is step 1 and step 4: the flag writes (each attempted, whatever
// the one before did: in an emergency every step that can be done is
// done), the shutdown's effect, the verification.
func rollBack(ctx context.Context, s *harness.Stack, e *rollbackEntry, sc func(string) string) int {
	failed := !writeFlags(ctx, s, checks.RollbackWrites, "set to", e, sc)
	if !e.orchestrated("orchestration refused with 503 naming "+checks.ShutdownFlag, "the shutdown is not in effect: ", checks.AwaitShutdown(ctx, s), sc) {
		failed = true
	}
	return e.conclude(ctx, s, true, sc, failed, "failed", "rolled_back_unverified", "rolled_back")
}

// restoreFlags writes back every flag the rollback found, then checks that
// orchestration is in the state the flags say, and verifies.
func restoreFlags(ctx context.Context, s *harness.Stack, undo *rollbackEntry, e *rollbackEntry, sc func(string) string) int {
	var writes []checks.FlagWrite
	failed := false
	for _, w := range checks.RollbackWrites {
		was, ok := undo.FlagsBefore[w.Name]
		if !ok || was == nil {
			failed = true
			e.Errors = append(e.Errors, fmt.Sprintf("%s: its state before the rollback is not in the log (it could not be read then): set it by hand", w.Name))
			continue
		}
		writes = append(writes, checks.FlagWrite{Name: w.Name, Enabled: *was})
	}
	if !writeFlags(ctx, s, writes, "set back to", e, sc) {
		failed = true
	}
	shutdown := e.FlagsAfter[checks.ShutdownFlag]
	if shutdown != nil && !*shutdown {
		if !e.orchestrated("orchestration answered again (2xx)", "orchestration still refused: ", checks.AwaitServing(ctx, s), sc) {
			failed = true
		}
	}
	return e.conclude(ctx, s, shutdown != nil && *shutdown, sc, failed, "restore_failed", "restored_unverified", "restored")
}

// orchestrated records the step that waited for orchestration to be as the
// flags say (want); a wait that ended in err is an error starting with
// what. It reports whether orchestration was as wanted.
func (e *rollbackEntry) orchestrated(want, what string, err error, sc func(string) string) bool {
	e.Orchestrated = &stepRecord{Want: want, OK: true}
	if err == nil {
		return true
	}
	e.Orchestrated.OK, e.Orchestrated.Error = false, sc(err.Error())
	e.Errors = append(e.Errors, what+firstLine(sc(err.Error())))
	return false
}

// conclude verifies the target (shutdownOn: orchestration is meant to be
// refused) and ends the entry with its result and exit code: failed when
// a step failed, unverified when the verification found anything, done
// otherwise.
func (e *rollbackEntry) conclude(ctx context.Context, s *harness.Stack, shutdownOn bool, sc func(string) string, stepFailed bool, failed, unverified, done string) int {
	e.Verification = verify(ctx, s, shutdownOn, sc)
	switch {
	case stepFailed:
		e.Result = failed
		return exitRollbackFailed
	case !e.Verification.clean():
		e.Result = unverified
		return exitUnverified
	}
	e.Result = done
	return exitRolledBack
}

// writeFlags attempts every write of ws (whatever the one before did: in an
// emergency every step that can be done is done) and records each in e,
// between the rollback's flags read before and after; a failed write is an
// error saying the flag was not "set to" (or "set back to") its value. It
// reports whether every write took.
func writeFlags(ctx context.Context, s *harness.Stack, ws []checks.FlagWrite, verb string, e *rollbackEntry, sc func(string) string) bool {
	e.FlagsBefore = readFlags(ctx, s, checks.RollbackWrites)
	ok := true
	for _, w := range ws {
		r := writeRecord{Name: w.Name, Enabled: w.Enabled, OK: true}
		if err := checks.WriteFlag(ctx, s, w); err != nil {
			r.OK, r.Error, ok = false, sc(err.Error()), false
			e.Errors = append(e.Errors, fmt.Sprintf("%s not %s %t: %s", w.Name, verb, w.Enabled, firstLine(r.Error)))
		}
		e.Writes = append(e.Writes, r)
	}
	e.FlagsAfter = readFlags(ctx, s, checks.RollbackWrites)
	return ok
}

// readFlags reads the rollback's flags; an unreadable one is nil.
func readFlags(ctx context.Context, s *harness.Stack, ws []checks.FlagWrite) map[string]*bool {
	out := map[string]*bool{}
	for _, w := range ws {
		on, err := checks.ReadFlag(ctx, s, w.Name)
		if err != nil {
			out[w.Name] = nil
			continue
		}
		out[w.Name] = &on
	}
	return out
}

// verify is step 4: the critical smoke checks, in process, after the
// pre-flight of a live target. With the shutdown on, a check refused with
// the shutdown's 503 is what the rollback intends, not a failure.
func verify(ctx context.Context, s *harness.Stack, shutdown bool, sc func(string) string) *verificationRecord {
	if s.Mode() == harness.Live {
		pctx, cancel := context.WithTimeout(ctx, s.Config().Timeouts.HTTP+time.Second)
		_, _ = checks.Preflight(pctx, s, func(string) bool { return true })
		cancel()
	}
	var cs []checks.Check
	for _, g := range checks.CriticalGroups {
		cs = append(cs, g...)
	}
	vs := checks.EvaluateAll(ctx, s, cs)
	r := &verificationRecord{Ran: true}
	for _, c := range cs {
		v := vs[c.ID()]
		vc := verifiedCheck{ID: c.ID(), Outcome: string(v.Outcome), Reason: sc(checks.Reason(v.Err))}
		switch {
		case v.Outcome == checks.Pass:
			r.Passed++
		case shutdown && checks.RefusedByShutdown(v):
			vc.RefusedByShutdown = true
			r.RefusedByShutdown++
		case v.Outcome == checks.NotApplicable:
			r.NotApplicable++
		case v.Outcome == checks.NotJudged:
			r.NotJudged++
		default:
			r.Failed++
		}
		r.Checks = append(r.Checks, vc)
	}
	return r
}

// clean: every critical check passed, was refused by the shutdown, or is
// out of the target's scope.
func (r *verificationRecord) clean() bool {
	return r != nil && r.Ran && r.Failed == 0 && r.NotJudged == 0
}

// text is the report for the person at the terminal.
func (e rollbackEntry) text(logPath string, elapsed time.Duration) string {
	var b strings.Builder
	title := map[string]string{"rolled_back": "ROLLED BACK", "rolled_back_unverified": "ROLLED BACK, NOT VERIFIED", "failed": "ROLLBACK FAILED",
		"restored": "RESTORED", "restored_unverified": "RESTORED, NOT VERIFIED", "restore_failed": "RESTORE FAILED"}[e.Result]
	fmt.Fprintf(&b, "%s: %s of %s by %s", title, e.Action, e.Target, e.Who)
	if e.Reason != "" {
		fmt.Fprintf(&b, ": %q", e.Reason)
	}
	fmt.Fprintln(&b)
	if e.Restores != nil {
		fmt.Fprintf(&b, "  restores the rollback of %s\n", e.Restores.Format(time.RFC3339))
	}
	if e.Verdict != nil {
		fmt.Fprintf(&b, "  triggered by %s (%s %s%s)\n", e.Verdict.File, e.Verdict.Kind, e.Verdict.Gate, map[bool]string{true: ", decision " + string(e.Verdict.Decision)}[e.Verdict.Decision != ""])
	}
	show := func(v *bool) string {
		if v == nil {
			return "unreadable"
		}
		return fmt.Sprint(*v)
	}
	for _, w := range e.Writes {
		status := "set, read back"
		if !w.OK {
			status = "NOT SET: " + firstLine(w.Error)
		}
		fmt.Fprintf(&b, "  %s: %s -> %s (wrote %t: %s)\n", w.Name, show(e.FlagsBefore[w.Name]), show(e.FlagsAfter[w.Name]), w.Enabled, status)
	}
	if o := e.Orchestrated; o != nil {
		if o.OK {
			fmt.Fprintf(&b, "  ok: %s\n", o.Want)
		} else {
			fmt.Fprintf(&b, "  NOT: %s: %s\n", o.Want, firstLine(o.Error))
		}
	}
	if v := e.Verification; v != nil {
		fmt.Fprintf(&b, "verification, the critical smoke checks: %d passed, %d refused by the shutdown as intended, %d failed, %d not judged, %d not applicable\n",
			v.Passed, v.RefusedByShutdown, v.Failed, v.NotJudged, v.NotApplicable)
		for _, c := range v.Checks {
			switch {
			case c.Outcome == string(checks.Pass):
				fmt.Fprintf(&b, "  ok      %s\n", c.ID)
			case c.RefusedByShutdown:
				fmt.Fprintf(&b, "  refused %s: %s\n", c.ID, c.Reason)
			default:
				fmt.Fprintf(&b, "  %-7s %s: %s\n", c.Outcome, c.ID, c.Reason)
			}
		}
	}
	for _, err := range e.Errors {
		fmt.Fprintf(&b, "  error: %s\n", err)
	}
	within := "within"
	if elapsed >= rollbackTarget {
		within = "OVER"
	}
	fmt.Fprintf(&b, "%s in %s, %s the checklist's %s target; logged to %s\n", title, elapsed.Round(time.Millisecond), within, rollbackTarget, logPath)
	switch e.Result {
	case "rolled_back", "rolled_back_unverified":
		fmt.Fprintf(&b, "next: checklist steps 2 and 3, revert the deployment to the previous version and restart it; then run the smoke suite; "+
			"smokestack rollback -restore -log %s puts the flags back once the fix is out\n", logPath)
	case "failed":
		fmt.Fprintf(&b, "the deployment is NOT shut down: switch the flags by other means, or go straight to steps 2 and 3 (revert, restart)\n")
	}
	return b.String()
}

func firstLine(s string) string { return strings.SplitN(s, "\n", 2)[0] }

// scrubber hides the configured keys (and whatever looks like a
// credential) in every text the command prints or logs.
func scrubber(cfg harness.Config) func(string) string {
	var keys []string
	for _, k := range []harness.Secret{cfg.AdminKey, cfg.APIKey} {
		if v := k.Value(); v != "" {
			keys = append(keys, v)
		}
	}
	return func(s string) string {
		for _, k := range keys {
			s = strings.ReplaceAll(s, k, "[REDACTED]")
		}
		return harness.RedactText(s)
	}
}

// rollbackWho is -who, else $USER, else the account's name.
func rollbackWho(who string) string {
	if w := strings.TrimSpace(who); w != "" {
		return w
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "unknown"
}

// readVerdictRef summarises a report of smokestack gate, verdict or
// monitor -json.
func readVerdictRef(path string) (*verdictRef, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rec verdict.Record
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("not a smokestack -json report: %v", err)
	}
	if rec.Kind == "" {
		return nil, errors.New(`not a smokestack -json report: no "kind" (gate, verdict or monitor)`)
	}
	ref := &verdictRef{File: path, Kind: rec.Kind, Time: rec.Time, Decision: rec.Decision, Gate: string(rec.Gate), ExitCode: rec.ExitCode,
		PassRate: rec.PassRate, Counts: rec.Counts, Failed: []string{}, Reasons: rec.Reasons}
	for _, c := range rec.Checks {
		if c.Outcome == verdict.Fail {
			ref.Failed = append(ref.Failed, c.ID)
		}
	}
	if ref.Reasons == nil {
		ref.Reasons = []string{}
	}
	return ref, nil
}

// openRollbackLog opens the log for appending before anything changes: a
// rollback that cannot be documented is refused at once, not after.
func openRollbackLog(path string) (*os.File, error) {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	return os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
}

// lastRollback finds the last rollback line of the log, and the restore
// line that undid it if there is one.
func lastRollback(path string) (last, restoredBy *rollbackEntry, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("no rollback to restore: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var e rollbackEntry
		if err := json.Unmarshal(line, &e); err != nil {
			return nil, nil, fmt.Errorf("%s line %d is not a rollback log line: %v", path, n, err)
		}
		switch e.Action {
		case "rollback":
			last, restoredBy = &e, nil
		case "restore":
			if last != nil && e.Restores != nil && e.Restores.Equal(last.Time) && (e.Result == "restored" || e.Result == "restored_unverified") {
				restoredBy = &e
			}
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, err
	}
	if last == nil {
		return nil, nil, fmt.Errorf("%s holds no rollback", path)
	}
	return last, restoredBy, nil
}
