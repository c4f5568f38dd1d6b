package harness

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestEnvDocumented keeps the README's variable table in step with Env.
func TestEnvDocumented(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	v := reflect.ValueOf(Env)
	for i := 0; i < v.NumField(); i++ {
		name := v.Field(i).String()
		if !strings.Contains(string(readme), "`"+name+"`") {
			t.Errorf("%s (Env.%s) is not documented in README.md", name, v.Type().Field(i).Name)
		}
	}
}
