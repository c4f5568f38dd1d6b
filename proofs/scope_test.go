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

// TestScoping: concurrent checks run in every row; a serial check runs where
// its row names it or reaches a component it reads besides Genesis, and in
// the rotating cross-check, so every serial check is judged in rows that do
// not name it.
func TestScoping(t *testing.T) {
	drill := checks.Check{Group: "TestX", Name: "drill", Component: harness.Genesis, Part: harness.PartC, Mutates: true,
		Reads: []harness.Component{harness.LLMPlanner}}
	cheap := checks.Check{Group: "TestX", Name: "cheap", Component: harness.Genesis, Part: harness.PartA}
	knob := Fault{Name: "k", Action: Knob("error_rate=1")}
	planner := Fault{Name: "p", Action: PlannerFaults("down")}
	named := Fault{Name: "n", Action: Knob("error_rate=1"), Fails: []string{drill.ID()}}
	undeclared := Fault{Name: "u", Action: Action{}}

	judged := 0
	for i := 0; i < 2*crossCheckEvery; i++ {
		assert.True(t, inScope(i, 0, knob, cheap), "a concurrent check runs in every row")
		assert.True(t, inScope(i, 0, planner, drill), "the planner row reaches a drill that reads the planner")
		assert.True(t, inScope(i, 0, named, drill), "a row runs the checks it names")
		assert.True(t, inScope(i, 0, undeclared, drill), "a row that does not say what it touches runs everything")
		if inScope(i, 3, knob, drill) {
			judged++
		}
	}
	assert.Equal(t, 2, judged, "a knob row runs an unnamed drill only in the cross-check, one row in %d", crossCheckEvery)
}
