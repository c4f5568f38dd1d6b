package proofs

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/smokestack-dev/smokestack/checks"
	"github.com/smokestack-dev/smokestack/harness"
)

// TestEveryRowDeclaresWhatItTouches: a row without Touches judges every
// check in full, which is safe but slow; the matrix's rows all declare it.
func TestEveryRowDeclaresWhatItTouches(t *testing.T) {
	for _, f := range Matrix() {
		assert.NotEmpty(t, f.Touches, "fault row %s does not declare the components it touches (Action.Touches)", f.Name)
	}
}

// TestScoping: a check runs where its row names it or touches a component
// it reads (for a serial check, one besides Genesis), and in the rotating
// cross-check, so every check is judged in rows that do not name it.
func TestScoping(t *testing.T) {
	drill := checks.Check{Group: "TestX", Name: "drill", Component: harness.Genesis, Part: harness.PartC, Mutates: true,
		Reads: []harness.Component{harness.LLMPlanner}}
	cheap := checks.Check{Group: "TestX", Name: "cheap", Component: harness.Genesis, Part: harness.PartA}
	promOnly := checks.Check{Group: "TestX", Name: "prom", Component: harness.Prometheus, Reads: []harness.Component{harness.Alertmanager}}
	knob := Fault{Name: "k", Action: Knob("error_rate=1")}
	planner := Fault{Name: "p", Action: PlannerFaults("down")}
	reload := Fault{Name: "r", Action: PrometheusConfig(nil)}
	amStopped := Fault{Name: "s", Action: Stopped(harness.Alertmanager)}
	named := Fault{Name: "n", Action: Knob("error_rate=1"), Fails: []string{drill.ID()}}
	undeclared := Fault{Name: "u", Action: Action{}}
	profiled := Fault{Name: "d", Action: Knob("surface=a2a"), Profile: harness.ProfileA2A}

	judged := map[string]int{}
	for i := 0; i < 2*crossCheckEvery; i++ {
		assert.True(t, inScope(i, 0, knob, cheap), "a concurrent check that reads Genesis runs in a knob's row")
		assert.True(t, inScope(i, 0, planner, drill), "the planner row reaches a drill that reads the planner")
		assert.True(t, inScope(i, 0, named, drill), "a row runs the checks it names")
		assert.True(t, inScope(i, 0, undeclared, drill), "a row that does not say what it touches runs everything")
		assert.True(t, inScope(i, 0, undeclared, promOnly), "a row that does not say what it touches runs everything")
		assert.True(t, inScope(i, 0, profiled, promOnly), "a row that declares a profile runs everything")
		assert.True(t, inScope(i, 0, reload, promOnly), "a Prometheus reload reaches a check of Prometheus")
		assert.True(t, inScope(i, 0, amStopped, promOnly), "a stopped Alertmanager reaches a check that reads it")
		for name, in := range map[string]bool{
			"knob, drill": inScope(i, 3, knob, drill), "knob, monitoring check": inScope(i, 3, knob, promOnly),
			"reload, service check": inScope(i, 3, reload, cheap),
		} {
			if in {
				judged[name]++
			}
		}
	}
	for _, name := range []string{"knob, drill", "knob, monitoring check", "reload, service check"} {
		assert.Equal(t, 2, judged[name], "%s: a row runs a check it cannot reach only in the cross-check, one row in %d", name, crossCheckEvery)
	}
}
