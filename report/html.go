package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/smokestack-dev/smokestack/verdict"
)

// Page is everything index.html shows, computed before any HTML is
// written, so a chart that cannot be drawn leaves no half-written page.
type Page struct {
	Source  string // the log it was read from, as given
	Summary Summary
	Charts  []Chart
	Series  []Series
	Rows    []Row
}

// Row is one round in the table.
type Row struct {
	N         int // position in the log, the charts' x
	Line      int
	Time      string
	Round     int // the round's number in its run: runs appended to one log restart at 1
	Decision  verdict.Decision
	Pass      int
	Fail      int
	NotJudged int
	Missing   int
	PassRate  string
	Triggers  []Cell // one per Series
	Reason    string // the first, most serious one
}

// Cell is one trigger's reading in the table.
type Cell struct {
	Text     string
	Gap      bool // no value: the chart has a gap there, and the table says why
	Breached bool
}

// Build reads nothing and writes nothing: it is the page of the rounds,
// charts drawn. rounds must not be empty (ReadLog never returns none).
func Build(source string, rounds []Round) (*Page, error) {
	if len(rounds) == 0 {
		return nil, ErrNoRounds
	}
	charts, err := Charts(rounds)
	if err != nil {
		return nil, fmt.Errorf("drawing the charts: %w", err)
	}
	p := &Page{Source: source, Summary: Summarize(rounds), Charts: charts, Series: TriggerSeries(rounds)}
	for i, r := range rounds {
		row := Row{N: i + 1, Line: r.Line, Time: stamp(r.Time), Round: r.Round, Decision: r.Decision,
			Pass: r.Counts.Pass, Fail: r.Counts.Fail, NotJudged: r.Counts.NotJudged, Missing: r.Counts.Missing,
			PassRate: "none judged", Reason: "—"}
		if r.PassRate != nil {
			row.PassRate = num(roundTo(100*(*r.PassRate), 2)) + " %"
		}
		if len(r.Reasons) > 0 {
			row.Reason = r.Reasons[0]
		}
		for _, s := range p.Series {
			row.Triggers = append(row.Triggers, cell(s, i))
		}
		p.Rows = append(p.Rows, row)
	}
	return p, nil
}

func cell(s Series, i int) Cell {
	switch {
	case !s.Read[i]:
		return Cell{Text: "gap: not read this round", Gap: true}
	case s.Values[i] == nil:
		return Cell{Text: "gap: unreadable (" + s.Errors[i] + ")", Gap: true}
	}
	c := Cell{Text: num(roundTo(*s.Values[i], 3)) + " " + s.Unit, Breached: s.Breach[i]}
	if c.Breached {
		c.Text += " — over the limit"
	}
	return c
}

// roundTo keeps n decimals: a P95 of 412.3456789 ms is read as 412.346.
func roundTo(v float64, n int) float64 {
	p := math.Pow(10, float64(n))
	return math.Round(v*p) / p
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// span is a duration as on-call says it: "48h 0m", "5m 30s".
func span(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d >= time.Hour:
		return fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
	case d >= time.Minute:
		return fmt.Sprintf("%dm %ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%ds", int(d.Seconds()))
}

// headline is what the worst decision means for the person reading it.
func headline(d verdict.Decision) string {
	switch d {
	case verdict.Ship:
		return "every round said SHIP"
	case verdict.Rollback:
		return "at least one round said ROLLBACK: roll the deployment back"
	}
	return "evidence was missing in at least one round: do not ship"
}

var funcs = template.FuncMap{
	"lower":    func(d verdict.Decision) string { return strings.ToLower(string(d)) },
	"stamp":    stamp,
	"span":     span,
	"headline": headline,
}

var page = template.Must(template.New("index.html").Funcs(funcs).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>smokestack monitor report: {{.Summary.Worst}}</title>
<style>
body { font-family: sans-serif; margin: 24px 32px; color: #1b1b1b; background: #fff; }
h1 { margin: 0 0 8px; font-size: 26px; }
h2 { margin: 28px 0 8px; font-size: 20px; }
.verdict.ship, dd.ship { color: #1a7f37; } .verdict.hold, dd.hold { color: #c27c0e; } .verdict.rollback, dd.rollback { color: #c5221f; }
.verdict { border: 3px solid currentColor; border-radius: 6px; padding: 10px 16px; display: inline-block; }
.verdict strong { font-size: 30px; }
dl { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; margin: 12px 0; }
dt { font-weight: bold; } dd { margin: 0; }
figure { margin: 0 0 20px; }
figure img { display: block; border: 1px solid #ddd; }
figcaption { font-size: 13px; color: #444; max-width: 864px; margin-top: 4px; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
td.num { text-align: right; }
td.time { white-space: nowrap; }
td.gap { background: #fff4d6; }
td.breached { background: #fde2e1; }
td.ship { color: #1a7f37; } td.hold { color: #c27c0e; background: #fff4d6; } td.rollback { color: #c5221f; background: #fde2e1; }
code { font-size: 12px; word-break: break-all; }
</style>
</head>
<body>
<h1>Monitoring report</h1>
<p class="verdict {{lower .Summary.Worst}}" id="verdict">Final verdict: <strong>{{.Summary.Worst}}</strong> — {{headline .Summary.Worst}}</p>
<dl id="summary">
<dt>Last round</dt><dd id="last" class="{{lower .Summary.Last}}">{{.Summary.Last}}</dd>
<dt>Rounds</dt><dd id="rounds">{{.Summary.Rounds}} (SHIP {{.Summary.Ship}}, HOLD {{.Summary.Hold}}, ROLLBACK {{.Summary.Rollback}})</dd>
<dt>Time span</dt><dd id="span">{{stamp .Summary.First}} to {{stamp .Summary.End}} ({{span .Summary.Span}})</dd>
{{- if .Summary.Unreadable}}
<dt>Unreadable triggers</dt><dd>{{.Summary.Unreadable}} {{if eq .Summary.Unreadable 1}}reading{{else}}readings{{end}} without a value: gaps in the charts, said in the table</dd>
{{- end}}
<dt>Log</dt><dd><code>{{.Source}}</code></dd>
</dl>

<h2>Charts</h2>
{{range .Charts -}}
<figure id="{{.ID}}" class="chart">
<img src="{{.Src}}" width="{{.Width}}" height="{{.Height}}" alt="{{.Title}}">
<figcaption>{{.Caption}}</figcaption>
</figure>
{{end}}
<h2>Rounds</h2>
<table id="rounds-table">
<thead><tr><th>#</th><th>time</th><th>round</th><th>decision</th><th>pass</th><th>fail</th><th>not judged</th><th>missing</th><th>pass rate</th>
{{- range .Series}}<th title="{{.Query}}">{{.Name}}</th>{{end}}<th>first reason</th></tr></thead>
<tbody>
{{- range .Rows}}
<tr id="round-{{.N}}"><td class="num" title="log line {{.Line}}">{{.N}}</td><td class="time">{{.Time}}</td><td class="num">{{.Round}}</td><td class="decision {{lower .Decision}}">{{.Decision}}</td>
<td class="num">{{.Pass}}</td><td class="num">{{.Fail}}</td><td class="num">{{.NotJudged}}</td><td class="num">{{.Missing}}</td><td class="num">{{.PassRate}}</td>
{{- range .Triggers}}<td class="{{if .Gap}}gap{{else if .Breached}}breached{{end}}">{{.Text}}</td>{{end}}<td>{{.Reason}}</td></tr>
{{- end}}
</tbody>
</table>
</body>
</html>
`))

// WriteHTML writes the page. Every text from the log passes through
// html/template: a check name or a reason is data, never markup.
func (p *Page) WriteHTML(w io.Writer) error {
	return page.Execute(w, p)
}

// Write builds the page of the rounds and writes it to dir/index.html
// (dir is created), returning its path. The file is replaced whole, so a
// browser reloading it during a rewrite never shows half a report.
func Write(dir, source string, rounds []Round) (string, error) {
	p, err := Build(source, rounds)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := p.WriteHTML(&b); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "index.html")
	tmp, err := os.CreateTemp(dir, ".index.html.*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing left to remove
	if _, err := tmp.Write(b.Bytes()); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	return path, os.Rename(tmp.Name(), path)
}
