package verdict

import (
	"fmt"
	"io"
	"strings"

	"github.com/jstemmer/go-junit-report/v2/junit"
)

// MissingMessage is the JUnit error message of a planned check that has no
// outcome: CI shows it as an error, not a skip, because a check nobody saw
// end is missing evidence, not a decision to skip it.
const MissingMessage = "missing: no outcome in the stream"

// JUnit is the record as JUnit XML, for CI systems that show test reports:
// one <testsuite> per package, one <testcase> per check (classname the
// test group, name the subtest). FAIL is a <failure> whose message is the
// check's headline and whose body is everything it printed; NOT APPLICABLE
// and NOT JUDGED are <skipped message="NOT APPLICABLE: reason">, so the
// outcome and its reason survive in tools that only know "skipped"; a
// planned check without an outcome is an <error>. A package that failed
// with no check to show it (it could not start) gets one <error> testcase
// named after the package, so a CI page is never green for a run that did
// not happen. Each suite carries the decision as properties and the
// reasons in <system-err>: the XML alone says why the run held.
func (r Record) JUnit() junit.Testsuites {
	r = r.Redacted()
	var suites junit.Testsuites
	byPkg := map[string][]CheckRecord{}
	var order []string
	seen := map[string]bool{}
	add := func(name string) {
		if !seen[name] {
			seen[name] = true
			order = append(order, name)
		}
	}
	pkgs := map[string]PackageRecord{}
	for _, p := range r.Packages {
		pkgs[p.Name] = p
		add(p.Name)
	}
	for _, c := range r.Checks {
		add(c.Package)
		byPkg[c.Package] = append(byPkg[c.Package], c)
	}
	for i, name := range order {
		p := pkgs[name]
		s := junit.Testsuite{Name: name, Package: name, ID: i}
		if !r.Time.IsZero() {
			s.SetTimestamp(r.Time)
		}
		s.AddProperty("smokestack.kind", r.Kind)
		s.AddProperty("smokestack.gate", string(r.Gate))
		if r.Decision != "" {
			s.AddProperty("smokestack.decision", string(r.Decision))
		}
		if p.Suite != "" {
			s.AddProperty("smokestack.suite", p.Suite)
		}
		var total float64
		for _, c := range byPkg[name] {
			s.AddTestcase(testcase(c))
			if c.Duration != nil {
				total += *c.Duration
			}
		}
		if len(byPkg[name]) == 0 && p.Status != "pass" && p.Status != "skip" {
			why := p.Error
			if why == "" {
				why = "the package failed or its result is not in the stream"
			}
			s.AddTestcase(junit.Testcase{Classname: name, Name: "(package)",
				Error: &junit.Result{Message: xmlText(why), Type: "package"}})
		}
		if p.Elapsed != nil {
			total = *p.Elapsed
		}
		s.Time = fmt.Sprintf("%.3f", total)
		s.SystemErr = &junit.Output{Data: xmlText(r.decisionText())}
		suites.AddSuite(s)
	}
	return suites
}

func testcase(c CheckRecord) junit.Testcase {
	tc := junit.Testcase{Classname: c.Group, Name: c.Name, Status: string(c.Outcome)}
	if c.Duration != nil {
		tc.Time = fmt.Sprintf("%.3f", *c.Duration)
	}
	body := xmlText(c.Message)
	switch c.Outcome {
	case Fail:
		msg := c.Reason
		if msg == "" {
			msg = "failed without a message"
		}
		typ := "FAIL"
		if c.Critical {
			typ = "critical FAIL"
		}
		tc.Failure = &junit.Result{Message: xmlText(msg), Type: typ, Data: body}
	case NotApplicable, NotJudged:
		tc.Skipped = &junit.Result{Message: xmlText(string(c.Outcome) + ": " + c.Reason), Data: body}
	case Missing:
		data := c.Reason
		if body != "" {
			data += "\n" + body
		}
		tc.Error = &junit.Result{Message: MissingMessage, Type: string(Missing), Data: xmlText(data)}
	case Pass:
	default: // an outcome this version does not know: not a pass
		tc.Error = &junit.Result{Message: xmlText(string(c.Outcome) + ": " + c.Reason), Data: body}
	}
	return tc
}

// decisionText is the decision and its reasons, whole.
func (r Record) decisionText() string {
	var b strings.Builder
	if r.Decision != "" {
		fmt.Fprintf(&b, "VERDICT %s\n", r.Decision)
	}
	fmt.Fprintf(&b, "GATE %s\n", r.Gate)
	for _, t := range r.Triggers {
		state := "ok"
		switch {
		case t.Error != "" || t.Value == nil:
			state = "UNKNOWN: " + t.Error
		case t.Breached:
			state = "FIRED"
		}
		val := "-"
		if t.Value != nil {
			val = format(*t.Value, t.Unit)
		}
		fmt.Fprintf(&b, "trigger %s: %s, observed %s\n", t.Name, state, val)
	}
	for _, reason := range r.Reasons {
		fmt.Fprintf(&b, "because %s\n", reason)
	}
	return b.String()
}

// WriteJUnit writes the redacted record as JUnit XML.
func (r Record) WriteJUnit(w io.Writer) error {
	if _, err := io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"); err != nil {
		return err
	}
	s := r.JUnit()
	return s.WriteXML(w)
}

// xmlText replaces what XML 1.0 cannot carry (a check's output may hold
// terminal escapes or NUL bytes), which encoding/xml would otherwise write
// into CDATA as is and leave the file unreadable.
func xmlText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == 0x09 || r == 0x0A || r == 0x0D,
			r >= 0x20 && r <= 0xD7FF,
			r >= 0xE000 && r <= 0xFFFD,
			r >= 0x10000 && r <= 0x10FFFF:
			return r
		}
		return '\uFFFD'
	}, s)
}
