package report

import (
	"bytes"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/verdict"
)

var t0 = time.Date(2025, 3, 1, 6, 0, 0, 0, time.UTC)

func f(v float64) *float64 { return &v }

// round is one monitor round's record as the monitor writes it.
func round(n int, d verdict.Decision, pass, fail, notJudged int, p95, errRate *float64, reasons ...string) verdict.Record {
	rec := verdict.Record{Kind: verdict.KindMonitor, Round: n, Time: t0.Add(time.Duration(n-1) * 8 * time.Hour),
		Decision: d, Gate: verdict.GatePass, ExitCode: d.ExitCode(), MinPassRate: 0.95,
		Counts:  verdict.Counts{Pass: pass, Fail: fail, NotJudged: notJudged, NotApplicable: 2, Total: pass + fail + notJudged + 2},
		Reasons: reasons}
	if pass+fail > 0 {
		rec.PassRate = f(float64(pass) / float64(pass+fail))
	}
	trig := func(name, unit string, limit float64, v *float64) verdict.TriggerRecord {
		t := verdict.TriggerRecord{Name: name, Query: "q(" + name + ")", Value: v, Limit: limit, Unit: unit}
		if v == nil {
			t.Error = "no data: the query returned an empty vector"
		} else {
			t.Breached = *v > limit
		}
		return t
	}
	rec.Triggers = []verdict.TriggerRecord{
		trig("p95 latency > 500ms", "s", 0.5, p95),
		trig("error rate > 1%", "ratio", 0.01, errRate),
	}
	return rec
}

// syntheticRounds is a 48-hour watch of six rounds: healthy, a HOLD with
// the P95 unreadable, a ROLLBACK on latency, healthy again.
func syntheticRounds() []verdict.Record {
	return []verdict.Record{
		round(1, verdict.Ship, 30, 0, 3, f(0.212), f(0.0)),
		round(2, verdict.Ship, 29, 1, 3, f(0.245), f(0.002)),
		round(3, verdict.Hold, 30, 0, 3, nil, f(0.004), "trigger p95 latency > 500ms unreadable: no data"),
		round(4, verdict.Rollback, 25, 5, 3, f(0.734), f(0.021), "p95 latency > 500ms: 0.734 > 0.5", "error rate > 1%: 0.021 > 0.01"),
		round(5, verdict.Ship, 30, 0, 3, f(0.301), f(0.001), "<script>alert('x')</script> & <b>more</b>"),
		round(6, verdict.Ship, 30, 0, 3, f(0.198), f(0.0)),
	}
}

// logText is a monitor log: each round's human report, then its JSON line.
func logText(t *testing.T, recs []verdict.Record) string {
	t.Helper()
	var b strings.Builder
	for _, r := range recs {
		b.WriteString("==================== PRODUCTION HEALTH CHECK ====================\n")
		b.WriteString("Timestamp: " + r.Time.Format(time.RFC3339) + "\n\n1. Service Health:\n   ok   a2a_health\n")
		b.WriteString("4. DECISION: " + string(r.Decision) + "\n==============================================================\n\n")
		line, err := r.JSONLine()
		require.NoError(t, err)
		b.Write(line)
	}
	b.WriteString("MONITOR: ROLLBACK, the worst of 6 of 6 rounds [SHIP SHIP HOLD ROLLBACK SHIP SHIP]\n")
	return b.String()
}

func writeLog(t *testing.T) (string, []Round) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "production_health.log")
	require.NoError(t, os.WriteFile(path, []byte(logText(t, syntheticRounds())), 0o644))
	rounds, err := ReadLogFile(path)
	require.NoError(t, err)
	return path, rounds
}

func TestReadLog(t *testing.T) {
	_, rounds := writeLog(t)
	require.Len(t, rounds, 6, "one round per JSON line; the human lines are skipped")
	for i, r := range rounds {
		assert.Equal(t, i+1, r.Round)
		assert.Equal(t, 9*(i+1), r.Line, "the JSON line follows the round's eight human lines")
	}
	assert.Nil(t, rounds[2].Triggers[0].Value, "a null value stays null, not 0")
	assert.Equal(t, "no data: the query returned an empty vector", rounds[2].Triggers[0].Error)
	assert.InDelta(t, 0.734, *rounds[3].Triggers[0].Value, 1e-9)
}

func TestReadLogErrors(t *testing.T) {
	good := logText(t, syntheticRounds()[:2])
	for name, tc := range map[string]struct {
		log  string
		line int
		want string
	}{
		"malformed JSON":      {good + "== human ==\n{\"kind\":\"monitor\",\"round\":3,\n", 21, "line 21: malformed JSON round"},
		"not a monitor round": {"{\"kind\":\"gate\",\"gate\":\"PASS\"}\n", 1, `kind "gate"`},
		"no decision":         {"human\n{\"kind\":\"monitor\",\"round\":1}\n", 2, `decision ""`},
		"two values":          {"{\"kind\":\"monitor\",\"decision\":\"SHIP\"} {}\n", 1, "more than one value"},
	} {
		_, err := ReadLog(strings.NewReader(tc.log))
		var le *LineError
		if assert.ErrorAs(t, err, &le, name) {
			assert.Equal(t, tc.line, le.Line, name)
			assert.Contains(t, err.Error(), tc.want, name)
		}
	}
	for name, log := range map[string]string{
		"empty":      "",
		"human only": "==================== PRODUCTION HEALTH CHECK ====================\n   {not json, indented}\n",
	} {
		_, err := ReadLog(strings.NewReader(log))
		assert.ErrorIs(t, err, ErrNoRounds, name)
	}
	_, err := ReadLogFile(filepath.Join(t.TempDir(), "absent.log"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	// The last line needs no newline.
	rounds, err := ReadLog(strings.NewReader(strings.TrimSuffix(logText(t, syntheticRounds()[:1]), "\n")))
	require.NoError(t, err)
	assert.Len(t, rounds, 1)
}

func TestSummarize(t *testing.T) {
	_, rounds := writeLog(t)
	s := Summarize(rounds)
	assert.Equal(t, verdict.Rollback, s.Worst, "ROLLBACK over HOLD over SHIP, whatever came later")
	assert.Equal(t, verdict.Ship, s.Last)
	assert.Equal(t, Summary{Worst: verdict.Rollback, Last: verdict.Ship, Rounds: 6, Ship: 4, Hold: 1, Rollback: 1,
		First: t0, End: t0.Add(40 * time.Hour), Span: 40 * time.Hour, Unreadable: 1}, s)
	s = Summarize(rounds[:3])
	assert.Equal(t, verdict.Hold, s.Worst, "HOLD over SHIP")
	assert.Equal(t, verdict.Hold, s.Last)
}

func TestTriggerSeries(t *testing.T) {
	_, rounds := writeLog(t)
	// A round that read no trigger at all (no Prometheus) is a gap too.
	rounds = append(rounds, Round{Line: 99, Record: verdict.Record{Kind: verdict.KindMonitor, Round: 7, Decision: verdict.Hold, Time: t0.Add(48 * time.Hour)}})
	ss := TriggerSeries(rounds)
	require.Len(t, ss, 2)
	p95, errs := ss[0], ss[1]
	assert.Equal(t, "p95 latency > 500ms", p95.Name)
	assert.Equal(t, "ms", p95.Unit, "seconds are drawn in ms, as the checklist says the limit")
	assert.InDelta(t, 500, p95.Limit, 1e-9)
	assert.InDelta(t, 734, *p95.Values[3], 1e-9)
	assert.True(t, p95.Breach[3])
	assert.Nil(t, p95.Values[2])
	assert.True(t, p95.Read[2], "read, without a value")
	assert.False(t, p95.Read[6], "not read at all")
	assert.Equal(t, "%", errs.Unit)
	assert.InDelta(t, 1, errs.Limit, 1e-9)
	assert.InDelta(t, 2.1, *errs.Values[3], 1e-9)
}

func TestPage(t *testing.T) {
	path, rounds := writeLog(t)
	dir := filepath.Join(t.TempDir(), "out")
	index, err := Write(dir, path, rounds)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "index.html"), index)
	data, err := os.ReadFile(index)
	require.NoError(t, err)
	html := string(data)

	assert.Contains(t, html, `Final verdict: <strong>ROLLBACK</strong>`)
	assert.Contains(t, html, `<dd id="last" class="ship">SHIP</dd>`, "the last round's decision")
	assert.Contains(t, html, `6 (SHIP 4, HOLD 1, ROLLBACK 1)`)
	assert.Contains(t, html, `2025-03-01 06:00:00 UTC to 2025-03-02 22:00:00 UTC (40h 0m)`)

	charts := regexp.MustCompile(`<figure id="(chart-[a-z0-9-]+)"`).FindAllStringSubmatch(html, -1)
	var ids []string
	for _, m := range charts {
		ids = append(ids, m[1])
	}
	assert.Equal(t, []string{"chart-pass-rate", "chart-trigger-1", "chart-trigger-2", "chart-counts"}, ids, "one chart per trigger, between the pass rate and the counts")
	assert.Contains(t, html, `alt="p95 latency &gt; 500ms (ms)"`)
	assert.Contains(t, html, `alt="error rate &gt; 1% (%)"`)
	assert.Contains(t, html, "Unreadable or not read (a gap): round 3.")
	assert.Equal(t, 4, strings.Count(html, `<img src="data:image/png;base64,`))

	rows := regexp.MustCompile(`<tr id="round-\d+">.*<td class="decision (ship|hold|rollback)">`).FindAllStringSubmatch(html, -1)
	require.Len(t, rows, 6, "one table row per round")
	assert.Equal(t, "rollback", rows[3][1])
	assert.Contains(t, html, `<td class="gap">gap: unreadable (no data: the query returned an empty vector)</td>`, "the null reading is said in the table")
	assert.Contains(t, html, `<td class="breached">734 ms — over the limit</td>`)
	assert.Contains(t, html, `<td class="num">96.67 %</td>`, "29 of 30")
	assert.Contains(t, html, `<td>p95 latency &gt; 500ms: 0.734 &gt; 0.5</td>`, "the first reason")

	assert.NotContains(t, html, "<script>", "log text is data, never markup")
	assert.NotContains(t, html, "<b>more")
	assert.Contains(t, html, "<td>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;more&lt;/b&gt;</td>")
	leftovers, err := filepath.Glob(filepath.Join(dir, ".index.html.*"))
	require.NoError(t, err)
	assert.Empty(t, leftovers, "no temporary file is left beside the page")
}

// The charts are real PNGs of the size the page reserves for them, and
// not blank.
func TestChartsAreDrawn(t *testing.T) {
	_, rounds := writeLog(t)
	charts, err := Charts(rounds)
	require.NoError(t, err)
	require.Len(t, charts, 4)
	for _, c := range charts {
		img, err := png.Decode(bytes.NewReader(c.PNG))
		require.NoError(t, err, c.ID)
		assert.Equal(t, c.Width, img.Bounds().Dx(), c.ID)
		assert.Equal(t, c.Height, img.Bounds().Dy(), c.ID)
		assert.Equal(t, 864, c.Width)
		ink := nonWhite(img, img.Bounds())
		assert.Greater(t, ink, c.Width*c.Height/50, "%s: at least 2 %% of the chart is drawn", c.ID)
	}
}

// One round is enough for a page: a watch that was stopped after its first
// round still gets its report.
func TestOneRound(t *testing.T) {
	rec := round(1, verdict.Hold, 0, 0, 3, nil, nil, "nothing judged")
	rounds := []Round{{Line: 1, Record: rec}}
	p, err := Build("x.log", rounds)
	require.NoError(t, err)
	assert.Equal(t, "none judged", p.Rows[0].PassRate)
	var b bytes.Buffer
	require.NoError(t, p.WriteHTML(&b))
	assert.Contains(t, b.String(), "Nothing judged, no rate (a gap): round 1.")
	assert.Contains(t, b.String(), "(0s)")
	_, err = Build("x.log", nil)
	assert.True(t, errors.Is(err, ErrNoRounds))
}

// A long watch (a round an hour for two weeks, restarted once) still
// draws, with the round numbers of each run in the table.
func TestLongWatch(t *testing.T) {
	var rounds []Round
	for i := 0; i < 336; i++ {
		rec := round(i%200+1, verdict.Ship, 30, 0, 3, f(0.2+float64(i%7)/100), f(0.001))
		rec.Time = t0.Add(time.Duration(i) * time.Hour)
		if i%50 == 0 {
			rec.Triggers = nil // a round without Prometheus: both series have a gap
		}
		rounds = append(rounds, Round{Line: i + 1, Record: rec})
	}
	p, err := Build("long.log", rounds)
	require.NoError(t, err)
	require.Len(t, p.Charts, 4)
	assert.Equal(t, 201, p.Rows[200].N, "the charts' x counts in log order")
	assert.Equal(t, 1, p.Rows[200].Round, "a second run appended to the log restarts at round 1, and the table says so")
	assert.Equal(t, "gap: not read this round", p.Rows[50].Triggers[0].Text)
	assert.Contains(t, p.Charts[1].Caption, "rounds 1, 51, 101, 151, 201, 251, 301.")
	assert.Equal(t, 13*24*time.Hour+23*time.Hour, p.Summary.Span)
}

func TestRoundList(t *testing.T) {
	assert.Equal(t, "round 3", roundList([]int{3}))
	assert.Equal(t, "rounds 1-3, 5, 7-8", roundList([]int{1, 2, 3, 5, 7, 8}))
}

func TestIntegerTicks(t *testing.T) {
	var labels []string
	for _, tk := range (integerTicks{}).Ticks(0.5, 6.5) {
		labels = append(labels, tk.Label)
	}
	assert.Equal(t, []string{"1", "2", "3", "4", "5", "6"}, labels)
	assert.LessOrEqual(t, len((integerTicks{}).Ticks(0.5, 1000.5)), 13, "a long watch keeps its axis readable")
}
