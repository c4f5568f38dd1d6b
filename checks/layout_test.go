package checks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// groupSnake is a group's file name stem: TestFooBar -> foo_bar. A reader
// given a check's ID ("TestSecuritySmoke/cycle_rejected") finds its
// declaration in checks/security_smoke.go and its test function in
// smoke/security_smoke_test.go.
func groupSnake(group string) string {
	var b strings.Builder
	name := []rune(strings.TrimPrefix(group, "Test"))
	for i, r := range name {
		if unicode.IsUpper(r) {
			if i > 0 && (unicode.IsLower(name[i-1]) || unicode.IsDigit(name[i-1])) {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

func TestGroupSnake(t *testing.T) {
	for group, want := range map[string]string{
		"TestInfrastructure":     "infrastructure",
		"TestSecuritySmoke":      "security_smoke",
		"TestErrorHandlingSmoke": "error_handling_smoke",
		"TestAgentInvoke":        "agent_invoke",
	} {
		if got := groupSnake(group); got != want {
			t.Errorf("groupSnake(%q) = %q, want %q", group, got, want)
		}
	}
}

// TestEveryGroupHasItsFile: every group of the registry is declared in
// checks/<snake>.go, and its suite runs it from <suite>/<snake>_test.go
// (tests run in the package's directory).
func TestEveryGroupHasItsFile(t *testing.T) {
	seen := map[string]bool{}
	for _, g := range Registry {
		for _, c := range g.Checks {
			key := string(g.Suite) + " " + c.Group
			if seen[key] {
				continue
			}
			seen[key] = true
			snake := groupSnake(c.Group)
			for _, path := range []string{snake + ".go", filepath.Join("..", string(g.Suite), snake+"_test.go")} {
				if _, err := os.Stat(path); err != nil {
					t.Errorf("group %s (suite %s): want its file %s: %v", c.Group, g.Suite, path, err)
				}
			}
		}
	}
	if len(seen) == 0 {
		t.Fatal("the registry lists no group: nothing was checked")
	}
}
