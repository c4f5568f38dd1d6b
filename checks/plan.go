package checks

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/smokestack-dev/smokestack/harness"
)

// PlanPrefix starts every line of a run's plan in its output: what the run
// expects to judge, stated before any check runs, so that smokestack gate
// can tell a complete stream from a cut one without repeating flags.
const PlanPrefix = "smokestack-plan "

// Plan kinds of plan lines.
const (
	PlanBegin = "begin"
	PlanCheck = "check"
	PlanEnd   = "end"
)

// Planned outcomes: a check is to be judged, or is known before it runs to
// be not applicable or not judged (reason given).
const (
	PlanJudge         = "judge"
	PlanNotApplicable = "not-applicable"
	PlanNotJudged     = "not-judged"
)

// PlanLine is one line of a plan, JSON after PlanPrefix.
type PlanLine struct {
	Kind string `json:"kind"`
	// begin
	Suite         string   `json:"suite,omitempty"`
	Tags          string   `json:"tags,omitempty"`
	Mode          string   `json:"mode,omitempty"`
	Profile       string   `json:"profile,omitempty"`
	ProfileSource string   `json:"profile_source,omitempty"`
	Require       []string `json:"require,omitempty"`
	Mutation      bool     `json:"mutation,omitempty"`
	Run           string   `json:"run,omitempty"`
	Skip          string   `json:"skip,omitempty"`
	SuiteChecks   int      `json:"suite_checks,omitempty"` // checks of the suite at these tags, before -run
	Checks        int      `json:"checks,omitempty"`       // begin and end: checks in this plan
	// check
	ID       string `json:"id,omitempty"`
	Critical bool   `json:"critical,omitempty"`
	Plan     string `json:"plan,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// Plan is what a run expects to judge.
type Plan struct {
	Begin  PlanLine
	Checks []PlanLine
}

// Selector is go test's -run and -skip, matched the way the testing
// package matches them: split at slashes outside brackets and parentheses,
// each element an unanchored regular expression for one level of the name.
type Selector struct{ Run, Skip string }

// Selects reports whether go test runs the check under this selector.
func (sel Selector) Selects(c Check) (bool, error) {
	names := []string{c.Group, c.Name}
	if sel.Run != "" {
		ok, err := matchLevels(sel.Run, names)
		if err != nil || !ok {
			return false, err
		}
	}
	if sel.Skip != "" {
		skip, err := matchLevels(sel.Skip, names)
		if err != nil || skip {
			return false, err
		}
	}
	return true, nil
}

func matchLevels(pattern string, names []string) (bool, error) {
	elems := splitPattern(pattern)
	for i, name := range names {
		if i >= len(elems) {
			break
		}
		re, err := regexp.Compile(elems[i])
		if err != nil {
			return false, fmt.Errorf("selector %q: %w", pattern, err)
		}
		if !re.MatchString(name) {
			return false, nil
		}
	}
	return true, nil
}

// splitPattern is testing's splitRegexp: slashes inside [] or () do not split.
func splitPattern(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[', '(':
			depth++
		case ']', ')':
			if depth > 0 {
				depth--
			}
		case '\\':
			i++
		case '/':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// NewPlan states what a run of these checks on this stack will judge: the
// checks the selector picks, each with the outcome known before it runs.
func NewPlan(s *harness.Stack, suite Suite, level Tag, sel Selector) (Plan, error) {
	cfg := s.Config()
	profile, how := s.Profile()
	all := SuiteChecks(suite, level)
	p := Plan{Begin: PlanLine{Kind: PlanBegin, Suite: string(suite), Tags: level.String(), Mode: string(cfg.Mode),
		Profile: string(profile), ProfileSource: how, Mutation: s.CanMutate(), Run: sel.Run, Skip: sel.Skip,
		SuiteChecks: len(all)}}
	for _, c := range harness.Requirable {
		if s.Requires(c) {
			p.Begin.Require = append(p.Begin.Require, string(c))
		}
	}
	for _, c := range all {
		ok, err := sel.Selects(c)
		if err != nil {
			return p, err
		}
		if !ok {
			continue
		}
		line := PlanLine{Kind: PlanCheck, ID: c.ID(), Critical: IsCritical(c.ID()), Plan: PlanJudge}
		if err := Scope(s, c); err != nil {
			line.Reason = Reason(err)
			line.Plan = PlanNotJudged
			if outcomeOf(err) == NotApplicable {
				line.Plan = PlanNotApplicable
			}
		}
		p.Checks = append(p.Checks, line)
	}
	p.Begin.Checks = len(p.Checks)
	return p, nil
}

// Judges says whether the plan expects to judge the check id.
func (p Plan) Judges(id string) bool {
	for _, c := range p.Checks {
		if c.ID == id {
			return c.Plan == PlanJudge
		}
	}
	return false
}

// Lines renders the plan as the lines a run prints before its checks.
func (p Plan) Lines() []string {
	out := make([]string, 0, len(p.Checks)+2)
	add := func(l PlanLine) {
		b, _ := json.Marshal(l)
		out = append(out, PlanPrefix+harness.RedactText(string(b)))
	}
	add(p.Begin)
	for _, c := range p.Checks {
		add(c)
	}
	add(PlanLine{Kind: PlanEnd, Checks: len(p.Checks)})
	return out
}

// ParsePlanLine reads one line of a plan; ok is false for any other line.
func ParsePlanLine(line string) (PlanLine, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(line), PlanPrefix)
	if !ok {
		return PlanLine{}, false
	}
	var l PlanLine
	if err := json.Unmarshal([]byte(rest), &l); err != nil || l.Kind == "" {
		return PlanLine{}, false
	}
	return l, true
}

// Describe is the plan in one line for people: profile, requirements, how
// many checks are judged and how many are out of scope.
func (p Plan) Describe() string {
	n := map[string]int{}
	for _, c := range p.Checks {
		n[c.Plan]++
	}
	sel := ""
	if p.Begin.Run != "" || p.Begin.Skip != "" {
		sel = fmt.Sprintf(", selected by -run %q -skip %q from %d", p.Begin.Run, p.Begin.Skip, p.Begin.SuiteChecks)
	}
	return fmt.Sprintf("plan: %s suite, tags %s, profile %s (%s), require %s: %d checks%s — %d to judge, %d not applicable, %d not judged by configuration",
		p.Begin.Suite, p.Begin.Tags, p.Begin.Profile, p.Begin.ProfileSource, strings.Join(p.Begin.Require, ","),
		len(p.Checks), sel, n[PlanJudge], n[PlanNotApplicable], n[PlanNotJudged])
}
