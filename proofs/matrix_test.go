package proofs

import (
	"context"
	"flag"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/checks"
	"github.com/smokestack-dev/smokestack/harness"
)

var stack *harness.Stack

func TestMain(m *testing.M) {
	// Shorter deadlines than a real run: faults that hang a component would
	// otherwise cost the default 5 s per request, many times over.
	// A health budget far under the HTTP deadline, so the health rows'
	// slow answers are slow, not lost.
	for k, v := range map[string]string{harness.Env.HTTPTimeout: "2s", harness.Env.CheckTimeout: "10s", harness.Env.HealthBudget: "300ms"} {
		if os.Getenv(k) == "" {
			os.Setenv(k, v)
		}
	}
	parallelDefault()
	if flag.Lookup("test.run").Value.String() == "" && flag.Lookup("test.list").Value.String() == "" {
		go cliOnce.Do(buildCLI) // the serial proofs run it first thing (cli)
	}
	code := harness.Main(m, &stack)
	removeCLI()
	os.Exit(code)
}

// proofsParallel is how many of the package's proofs run at once where
// go test's -parallel is not given (its default is GOMAXPROCS, 2 on the
// CI machine). The proofs that run side by side (beside) are the fault
// matrix and those on stacks of their own, started once the serial ones
// (on the package's stack) have ended: mostly waits for a scrape, a log
// line, a start, not work, so more of them than cores run at once; their
// timing checks are measured again alone (quiet).
const proofsParallel = 8

// parallelDefault sets -parallel to proofsParallel unless the command
// line gave it.
func parallelDefault() {
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given {
		if err := flag.Set("test.parallel", strconv.Itoa(proofsParallel)); err != nil {
			panic(err)
		}
	}
}

// TestFaultMatrix proves every check can fail: under each fault its checks
// fail and every other check keeps its healthy verdict.
func TestFaultMatrix(t *testing.T) {
	if stack.Mode() != harness.Ephemeral {
		t.Skip("the fault matrix breaks the stack on purpose: it runs only on an ephemeral stack (SMOKE_TARGET unset)")
	}
	rows := Matrix()
	// PROOFS_ROWS (a regular expression over row names) runs a part of the
	// matrix while a row is being written; CI leaves it unset and runs all.
	if expr := os.Getenv("PROOFS_ROWS"); expr != "" {
		re, err := regexp.Compile(expr)
		if err != nil {
			t.Fatalf("PROOFS_ROWS: %v", err)
		}
		n := len(rows)
		rows = slices.DeleteFunc(rows, func(f Fault) bool { return !re.MatchString(f.Name) })
		t.Logf("PROOFS_ROWS=%s: %d of %d rows; this is not the whole matrix", expr, len(rows), n)
	}
	// PROOFS_STACKS is how many stacks share the rows (default 3; see Run):
	// the package's own, which takes rows at once, and that many less one
	// started here, ahead of the other proofs' starts, each joining the
	// rows once it is ready. Unset, a fourth joins once the other proofs
	// side by side have ended.
	n, given := stacksWanted(t)
	if len(rows) >= lateRowsLeft { // else Run starts no stack (Late)
		holdStarts(t, n-1)
	}
	besideLongest(t)
	cfg, err := harness.LoadConfig(os.LookupEnv)
	require.NoError(t, err, "the configuration of the matrix's own stacks")
	var late []Late
	for range n - 1 {
		late = append(late, func(ctx context.Context) (*harness.Stack, error) { return startOwn(ctx, t, true, cfg) })
	}
	if !given {
		late = append(late, matrixLate(t, cfg))
	}
	runMatrix(context.Background(), t, "fault matrix", []*harness.Stack{stack}, late, rows)
}

// matrixLate is the fault matrix's fourth stack. The matrix outlasts the
// other proofs side by side by minutes (in make test: 313 s against 95-160
// s), and once they end their share of the two cores sits idle while its
// three stacks wait on scrapes and restarts; started from the beginning, a
// fourth competed with a dozen other stacks and made the package slower
// (512 s against 455 s). So it starts once they have ended, all but those
// that by then only wait on Prometheus's windows (besideWaiting): go test
// ./proofs 428 s -> 373-399 s here (2026-12-03), 350 -> 338 s once it no
// longer waited for the success-metric proofs; a fifth as well measured no
// faster (382 s).
func matrixLate(t *testing.T, cfg harness.Config) Late {
	return func(ctx context.Context) (*harness.Stack, error) {
		ended := make(chan struct{})
		go func() {
			others.Wait()
			close(ended)
		}()
		select {
		case <-ended:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return startOwn(ctx, t, false, cfg)
	}
}

// runMatrix runs rows over stacks with every check of the matrix, logs the
// confusion table under title and fails the test on each problem the run
// found; it returns the result for what a caller asserts beyond that.
func runMatrix(ctx context.Context, t *testing.T, title string, stacks []*harness.Stack, late []Late, rows []Fault) Result {
	t.Helper()
	res := Run(ctx, stacks, late, matrixChecks(), rows, t.Logf)
	var b strings.Builder
	res.WriteTable(&b)
	t.Logf("%s:\n%s", title, b.String())
	for _, p := range res.Problems() {
		t.Error(p)
	}
	return res
}

// TestFaultNamesAreUnique: a row's name is its PROOFS_ROWS selector and its
// line in the table's legend; two rows of one name would be run and read
// as one.
func TestFaultNamesAreUnique(t *testing.T) {
	seen := map[string]bool{}
	var names []string
	for _, f := range Matrix() {
		names = append(names, f.Name)
	}
	for _, f := range StartupFaults() {
		names = append(names, f.Name)
	}
	for _, f := range SuccessMetricFaults() {
		names = append(names, f.Name)
	}
	for _, n := range names {
		if seen[n] {
			t.Errorf("fault row %q defined twice", n)
		}
		seen[n] = true
	}
}

// TestEveryCheckHasAFault refuses a check that no fault proves able to fail.
func TestEveryCheckHasAFault(t *testing.T) {
	proven := map[string]bool{}
	for _, f := range Matrix() {
		for _, id := range f.Fails {
			if _, ok := checks.ByID(id); !ok {
				t.Errorf("fault %s names unknown check %q", f.Name, id)
			}
			proven[id] = true
		}
	}
	for _, f := range StartupFaults() {
		for _, id := range slices.Concat(f.Fails, f.Passes) {
			if _, ok := checks.ByID(id); !ok {
				t.Errorf("start-up fault %s names unknown check %q", f.Name, id)
			}
		}
		for _, id := range f.Fails {
			proven[id] = true
		}
	}
	for _, f := range SuccessMetricFaults() {
		for _, id := range slices.Concat(f.Fails, f.NotJudged, f.Passes) {
			if _, ok := checks.ByID(id); !ok {
				t.Errorf("success-metric fault %s names unknown check %q", f.Name, id)
			}
		}
		for _, id := range f.Fails {
			proven[id] = true
		}
	}
	for _, c := range checks.All() {
		if !proven[c.ID()] {
			t.Errorf("%s has no fault that makes it fail: add a row to Matrix", c.ID())
		}
	}
}

// crossCutting are the fault sets about no one check group: a stopped
// container or a narrowed surface fails checks of many groups, and the
// start-up faults need stacks of their own.
var crossCutting = []string{"containers", "surface", "startup"}

// blanket sets fail whole contract parts at once (a 404 on every route of
// parts B and C): a check only they fail is not proven able to fail for a
// reason of its own, so they prove no check here.
var blanket = []string{"surface"}

// snake is the file name part of a check group: TestErrorHandlingSmoke is
// error_handling_smoke.
func snake(group string) string {
	var b strings.Builder
	for i, r := range strings.TrimPrefix(group, "Test") {
		if unicode.IsUpper(r) && i > 0 {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// groupOf is the snake name of a check ID's group.
func groupOf(id string) string {
	group, _, _ := strings.Cut(id, "/")
	return snake(group)
}

// TestEveryCheckHasAFaultInItsFile keeps the name scheme: a check's faults
// are in proofs/faults_<its group>.go. Every set of the matrix names a
// check group or a cross-cutting concept, and the file of that name holds
// it; every row of a group's set names a check of that group; every check
// fails under a row of its own group's set, or of a cross-cutting one
// that is not a blanket (those are listed in the log).
func TestEveryCheckHasAFaultInItsFile(t *testing.T) {
	groups := map[string]bool{}
	for _, g := range checks.Groups {
		for _, c := range g {
			groups[snake(c.Group)] = true
		}
	}
	ownRow := map[string]bool{}
	crossRows := map[string][]string{}
	for _, set := range faultSets() {
		cross := slices.Contains(crossCutting, set.Group)
		if !cross && !groups[set.Group] {
			t.Errorf("fault set %q is neither a check group nor a cross-cutting set %v", set.Group, crossCutting)
		}
		for _, f := range set.Rows() {
			if !cross && !slices.ContainsFunc(slices.Concat(f.Fails, f.Passes), func(id string) bool { return groupOf(id) == set.Group }) {
				t.Errorf("fault row %s names no check of its set's group %s: it belongs in another faults_<group>.go", f.Name, set.Group)
			}
			for _, id := range f.Fails {
				switch {
				case slices.Contains(blanket, set.Group):
				case cross:
					crossRows[id] = union(crossRows[id], []string{set.Group})
				case groupOf(id) == set.Group:
					ownRow[id] = true
				}
			}
		}
	}
	for _, f := range StartupFaults() {
		for _, id := range f.Fails {
			crossRows[id] = union(crossRows[id], []string{"startup"})
		}
	}
	for _, f := range SuccessMetricFaults() {
		for _, id := range f.Fails {
			if groupOf(id) == "success_metrics" {
				ownRow[id] = true
			}
		}
	}
	files := []string{"startup", "success_metrics"}
	for _, set := range faultSets() {
		files = append(files, set.Group)
	}
	for _, g := range union(files) {
		if _, err := os.Stat("faults_" + g + ".go"); err != nil {
			t.Errorf("the %s fault rows belong in proofs/faults_%s.go: %v", g, g, err)
		}
	}
	var onlyCross []string
	for _, g := range checks.Groups {
		for _, c := range g {
			switch id := c.ID(); {
			case ownRow[id]:
			case len(crossRows[id]) > 0:
				onlyCross = append(onlyCross, id+" ("+strings.Join(crossRows[id], ", ")+")")
			default:
				t.Errorf("%s fails under no row of proofs/faults_%s.go nor of a cross-cutting set", id, groupOf(id))
			}
		}
	}
	t.Logf("proven only by cross-cutting sets: %v", onlyCross)
}

// stacksWanted reads PROOFS_STACKS: 3 unless set, from 1 to 4. Since the
// concurrent checks are scoped and logs_clean reads on from its mark, a
// row costs the machine much less, and three stacks are faster than two
// here (288 s against 342 s, 2026-12-03), with 2 checks measured again
// alone for their load (aop_p95 P95s of 55-66 ms). Before, on a slower
// machine, three were barely faster (488 s against 529 s) and needed 25
// second measurements against 3. given: PROOFS_STACKS set, which also
// keeps the late fourth stack away (matrixLate): that many, no more.
func stacksWanted(t *testing.T) (n int, given bool) {
	v := os.Getenv("PROOFS_STACKS")
	if v == "" {
		return 3, false
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 4 {
		t.Fatalf("PROOFS_STACKS=%q: want a number of stacks from 1 to 4", v)
	}
	return n, true
}
