package harness

import (
	"slices"
	"sort"
)

// FindCycle returns a dependency cycle of a task DAG as a path (a -> b -> a),
// or nil. Checks judge a decomposition by it, and harnesstest's imitation
// refuses a cyclic DAG by it, so the two can never disagree about what a
// cycle is. Dependencies that name tasks outside tasks are walked too: a
// cycle through them is still a cycle.
func FindCycle(tasks []string, deps map[string][]string) []string {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack, cycle []string
	var visit func(string) bool
	visit = func(n string) bool {
		color[n] = grey
		stack = append(stack, n)
		next := slices.Clone(deps[n])
		sort.Strings(next)
		for _, m := range next {
			switch color[m] {
			case grey:
				i := slices.Index(stack, m)
				cycle = append(slices.Clone(stack[i:]), m)
				return true
			case white:
				if visit(m) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
		return false
	}
	all := slices.Clone(tasks)
	for id := range deps {
		if !slices.Contains(all, id) {
			all = append(all, id)
		}
	}
	for _, t := range all {
		if color[t] == white && visit(t) {
			return cycle
		}
	}
	return nil
}
