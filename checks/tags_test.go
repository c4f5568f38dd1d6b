package checks

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/smokestack-dev/smokestack/harness"
)

// allowedConstraints is the closed set of build constraints a suite test
// file may carry (ARCHITECTURE.md): critical tests carry none, so
// -tags critical selects exactly them.
var allowedConstraints = map[string]string{
	"":                  "critical",
	"!critical":         "normal",
	"slow && !critical": "slow",
}

var suiteDirs = []string{"../smoke", "../staging", "../perf"}

// TestSuiteBuildTags: every test file of the suite packages carries one
// allowed constraint, and each group of checks has its test function.
func TestSuiteBuildTags(t *testing.T) {
	for _, p := range suiteProblems(suiteDirs, Groups) {
		t.Error(p)
	}
}

// TestSuiteBuildTagsCanFail: the meta test catches a file with a tag
// outside the set and a group without a test function.
func TestSuiteBuildTagsCanFail(t *testing.T) {
	dir := t.TempDir()
	src := "//go:build slow\n\npackage smoke\n\nimport \"testing\"\n\nfunc TestX(t *testing.T) {}\n"
	if err := os.WriteFile(filepath.Join(dir, "x_test.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(suiteProblems([]string{dir}, [][]Check{{{Group: "TestMissing", Name: "y"}}}), "\n")
	for _, want := range []string{`"slow"`, "TestMissing"} {
		if !strings.Contains(got, want) {
			t.Errorf("problems %q do not mention %s", got, want)
		}
	}
}

func suiteProblems(dirs []string, groups [][]Check) []string {
	var out []string
	funcs := map[string]string{}
	for _, dir := range dirs {
		files, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
		for _, f := range files {
			src, err := os.ReadFile(f)
			if err != nil {
				out = append(out, err.Error())
				continue
			}
			constraint := ""
			for _, line := range strings.Split(string(src), "\n") {
				if c, ok := strings.CutPrefix(line, "//go:build "); ok {
					constraint = strings.TrimSpace(c)
					break
				}
				if strings.HasPrefix(line, "package ") {
					break
				}
			}
			if _, ok := allowedConstraints[constraint]; !ok {
				out = append(out, fmt.Sprintf("%s: build constraint %q is not one of none, \"!critical\", \"slow && !critical\"", f, constraint))
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, src, parser.SkipObjectResolution)
			if err != nil {
				out = append(out, err.Error())
				continue
			}
			for _, name := range testFuncs(af.Decls) {
				if prev, dup := funcs[name]; dup {
					out = append(out, fmt.Sprintf("%s defined in %s and %s", name, prev, f))
				}
				funcs[name] = f
			}
		}
	}
	for _, g := range groups {
		if len(g) > 0 {
			if _, ok := funcs[g[0].Group]; !ok {
				out = append(out, fmt.Sprintf("group %s has no test function in %v: its checks never run", g[0].Group, dirs))
			}
		}
	}
	return out
}

func testFuncs(decls []ast.Decl) []string {
	var out []string
	for _, d := range decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Test") && fn.Name.Name != "TestMain" {
			out = append(out, fn.Name.Name)
		}
	}
	return out
}

// TestEveryCheckInREADME keeps the README's table of checks complete.
func TestEveryCheckInREADME(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range All() {
		if !strings.Contains(string(readme), "`"+c.Group+"`") || !strings.Contains(string(readme), "`"+c.Name+"`") {
			t.Errorf("%s is not in README.md's table of checks", c.ID())
		}
	}
}

// TestCriticalGroupsMatchTags: the test functions in untagged (critical)
// smoke files are exactly the groups of CriticalGroups.
func TestCriticalGroupsMatchTags(t *testing.T) {
	files, _ := filepath.Glob("../smoke/*_test.go")
	untagged := map[string]bool{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(src), "//go:build ") {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, src, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range testFuncs(af.Decls) {
			untagged[name] = true
		}
	}
	critical := map[string]bool{}
	for _, g := range CriticalGroups {
		critical[g[0].Group] = true
	}
	for name := range untagged {
		if !critical[name] {
			t.Errorf("%s runs under -tags critical but its group is not in CriticalGroups", name)
		}
	}
	for name := range critical {
		if !untagged[name] {
			t.Errorf("%s is in CriticalGroups but no untagged smoke file runs it", name)
		}
	}
}

// traceReaders lists the checks among cs that read the trace backend.
func traceReaders(cs []Check) []string {
	var out []string
	for _, c := range cs {
		if slices.Contains(c.Components(), harness.Jaeger) {
			out = append(out, c.ID())
		}
	}
	return out
}

// TestCriticalPlanReadsNoTraceBackend holds what `make smoke-critical`
// relies on to start no Jaeger (SMOKE_JAEGER_IMAGE=none, so a fresh
// machine does not compile one): no critical smoke check reads traces. A
// critical check that did would be NOT APPLICABLE there, not judged.
func TestCriticalPlanReadsNoTraceBackend(t *testing.T) {
	if ids := traceReaders(SuiteChecks(Smoke, Critical)); len(ids) > 0 {
		t.Errorf("critical smoke checks read the trace backend: %v; make smoke-critical (Makefile, scripts/main-job.sh) starts none: give it Jaeger, or move the check out of the critical plan", ids)
	}
}

// TestTraceReadersCanBeFound: the guard above sees a check that reads
// Jaeger as its component or among what it reads.
func TestTraceReadersCanBeFound(t *testing.T) {
	own := Check{Group: "G", Name: "own", Component: harness.Jaeger}
	reads := Check{Group: "G", Name: "reads", Component: harness.Prometheus, Reads: []harness.Component{harness.Jaeger}}
	other := Check{Group: "G", Name: "other", Component: harness.Prometheus}
	if got := traceReaders([]Check{own, reads, other}); !slices.Equal(got, []string{own.ID(), reads.ID()}) {
		t.Errorf("trace readers found: %v", got)
	}
	if got := traceReaders(SuiteChecks(Staging, Normal)); len(got) == 0 {
		t.Error("no staging check reads the trace backend: the guard would hold for nothing")
	}
}
