package report

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"image/color"
	"math"
	"strconv"
	"strings"

	stdfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/smokestack-dev/smokestack/verdict"
)

// Chart size. At 96 dpi this is 864 x 288 pixels: wide enough for
// 48 hours of 8-hour rounds (or a few hundred rounds) with readable labels,
// and short enough that every chart of a report fits on a laptop screen
// with the verdict above it.
const (
	chartWidth  = 9 * vg.Inch
	chartHeight = 3 * vg.Inch
	chartDPI    = 96
)

// Colours: the decisions' colours on the page and in the charts are the
// same, so a red point is a ROLLBACK round wherever it is.
var (
	colShip     = color.RGBA{R: 0x1a, G: 0x7f, B: 0x37, A: 0xff}
	colHold     = color.RGBA{R: 0xc2, G: 0x7c, B: 0x0e, A: 0xff}
	colRollback = color.RGBA{R: 0xc5, G: 0x22, B: 0x1f, A: 0xff}
	colValue    = color.RGBA{R: 0x1f, G: 0x5f, B: 0xbf, A: 0xff}
	colMuted    = color.RGBA{R: 0x70, G: 0x70, B: 0x70, A: 0xff}
)

// Chart is one drawn chart, a PNG: a raster image carries its own fonts
// (gonum draws the text), so the page looks the same on a machine without
// any, and as an <img> it cannot run anything whatever text the log holds.
type Chart struct {
	ID      string // the element id, stable for links and for tests
	Title   string
	Caption string // how to read it, and the rounds it cannot show (its gaps)
	PNG     []byte
	Width   int // pixels
	Height  int
}

// Src is the chart as a data: URL. html/template refuses data: URLs from
// strings (they could carry a page); this one is only ever our own PNG.
func (c Chart) Src() template.URL {
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(c.PNG))
}

// Series is one trigger over the rounds, in its display unit.
type Series struct {
	Name   string
	Query  string
	Unit   string     // the display unit: "ms", "%" or the log's own
	Limit  float64    // in the display unit
	Values []*float64 // per round; nil: unreadable or not read (a gap)
	Errors []string   // per round: why there is no value
	Read   []bool     // per round: the trigger was read at all
	Breach []bool     // per round
}

// displayUnit converts a trigger's unit to the one its limit is spoken in
// (the checklist says "P95 > 500 ms" and "error rate > 1 %", not 0.5 s and
// 0.01), so the chart's axis reads like the runbook.
func displayUnit(unit string) (string, float64) {
	switch unit {
	case "s":
		return "ms", 1000
	case "ratio":
		return "%", 100
	}
	return unit, 1
}

// TriggerSeries collects every trigger named in any round, in the order
// they first appear; a round that did not read a trigger (no Prometheus
// configured) has a gap there, like a round whose reading had no value.
func TriggerSeries(rounds []Round) []Series {
	var out []Series
	index := map[string]int{}
	for i, r := range rounds {
		for _, t := range r.Triggers {
			k, ok := index[t.Name]
			if !ok {
				unit, _ := displayUnit(t.Unit)
				k = len(out)
				index[t.Name] = k
				out = append(out, Series{Name: t.Name, Query: t.Query, Unit: unit,
					Values: make([]*float64, len(rounds)), Errors: make([]string, len(rounds)),
					Read: make([]bool, len(rounds)), Breach: make([]bool, len(rounds))})
			}
			s := &out[k]
			unit, scale := displayUnit(t.Unit)
			if unit != s.Unit {
				// The same trigger in another unit: scale it to the first
				// one's unit is guesswork; say so instead of drawing it.
				s.Read[i], s.Errors[i] = true, fmt.Sprintf("unit %q differs from earlier rounds", t.Unit)
				continue
			}
			s.Limit = t.Limit * scale // the latest limit: the one the page is read against
			s.Read[i], s.Breach[i] = true, t.Breached
			if t.Value == nil {
				s.Errors[i] = t.Error
				if s.Errors[i] == "" {
					s.Errors[i] = "no value"
				}
				continue
			}
			v := *t.Value * scale
			s.Values[i] = &v
		}
	}
	return out
}

// Charts draws the report's charts in the order on-call asks its
// questions: did the checks pass, did a rollback trigger fire, and how
// much evidence was missing (NOT JUDGED holds a deploy as surely as FAIL).
func Charts(rounds []Round) ([]Chart, error) {
	var charts []Chart
	c, err := passRateChart(rounds)
	if err != nil {
		return nil, err
	}
	charts = append(charts, c)
	for i, s := range TriggerSeries(rounds) {
		c, err := triggerChart(i+1, s, len(rounds))
		if err != nil {
			return nil, err
		}
		charts = append(charts, c)
	}
	c, err = countsChart(rounds)
	if err != nil {
		return nil, err
	}
	return append(charts, c), nil
}

func passRateChart(rounds []Round) (Chart, error) {
	p := newPlot("Pass rate per round", "%")
	rates := make([]*float64, len(rounds))
	var gaps []int
	byDecision := map[verdict.Decision]plotter.XYs{}
	var minRate plotter.XYs
	for i, r := range rounds {
		if r.MinPassRate > 0 {
			minRate = append(minRate, plotter.XY{X: float64(i + 1), Y: 100 * r.MinPassRate})
		}
		if r.PassRate == nil {
			gaps = append(gaps, i+1)
			continue
		}
		v := 100 * *r.PassRate
		rates[i] = &v
		byDecision[r.Decision] = append(byDecision[r.Decision], plotter.XY{X: float64(i + 1), Y: v})
	}
	if err := addSegments(p, rates, colValue, nil); err != nil {
		return Chart{}, err
	}
	if len(minRate) > 0 {
		l, err := plotter.NewLine(minRate)
		if err != nil {
			return Chart{}, err
		}
		l.Color, l.Dashes, l.Width = colMuted, dashes, vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("gate minimum (%s %%)", num(minRate[len(minRate)-1].Y)), l)
	}
	for _, d := range []verdict.Decision{verdict.Ship, verdict.Hold, verdict.Rollback} {
		pts := byDecision[d]
		if len(pts) == 0 {
			continue
		}
		sc, err := points(pts, decisionColor(d))
		if err != nil {
			return Chart{}, err
		}
		p.Add(sc)
		p.Legend.Add(string(d)+" round", sc)
	}
	if err := addGaps(p, gaps, 0); err != nil {
		return Chart{}, err
	}
	p.Legend.Top = false // pass rates sit near 100 %: the bottom is free
	p.Y.Min, p.Y.Max = 0, 105
	p.Y.Tick.Marker = plot.TickerFunc(func(_, _ float64) []plot.Tick {
		var ts []plot.Tick
		for v := 0; v <= 100; v += 20 {
			ts = append(ts, plot.Tick{Value: float64(v), Label: strconv.Itoa(v)})
		}
		return ts
	})
	roundAxis(p, len(rounds))
	caption := "Passed checks as a share of the judged ones (pass + fail), per round; the dashed line is the gate's minimum."
	if len(gaps) > 0 {
		caption += " Nothing judged, no rate (a gap): " + roundList(gaps) + "."
	}
	return render("chart-pass-rate", "Pass rate per round", caption, p)
}

func triggerChart(n int, s Series, rounds int) (Chart, error) {
	title := s.Name
	if s.Unit != "" {
		title += " (" + s.Unit + ")"
	}
	p := newPlot(title, s.Unit)
	if err := addSegments(p, s.Values, colValue, p.Legend.Add); err != nil {
		return Chart{}, err
	}
	var ok, breached plotter.XYs
	var gaps []int
	top := s.Limit
	for i, v := range s.Values {
		if v == nil {
			gaps = append(gaps, i+1)
			continue
		}
		top = math.Max(top, *v)
		if s.Breach[i] {
			breached = append(breached, plotter.XY{X: float64(i + 1), Y: *v})
		} else {
			ok = append(ok, plotter.XY{X: float64(i + 1), Y: *v})
		}
	}
	for _, set := range []struct {
		pts   plotter.XYs
		col   color.Color
		label string
	}{{ok, colValue, ""}, {breached, colRollback, "breached"}} {
		if len(set.pts) == 0 {
			continue
		}
		sc, err := points(set.pts, set.col)
		if err != nil {
			return Chart{}, err
		}
		p.Add(sc)
		if set.label != "" {
			p.Legend.Add(set.label, sc)
		}
	}
	limit, err := plotter.NewLine(plotter.XYs{{X: 0.5, Y: s.Limit}, {X: float64(rounds) + 0.5, Y: s.Limit}})
	if err != nil {
		return Chart{}, err
	}
	limit.Color, limit.Dashes, limit.Width = colRollback, dashes, vg.Points(1.5)
	p.Add(limit)
	p.Legend.Add("limit "+num(s.Limit)+" "+s.Unit, limit)
	if err := addGaps(p, gaps, 0); err != nil {
		return Chart{}, err
	}
	p.Y.Min, p.Y.Max = 0, top*1.35 // headroom for the legend above the data
	if p.Y.Max <= 0 {
		p.Y.Max = 1
	}
	for _, v := range s.Values {
		if v != nil && *v < 0 {
			p.Y.Min = math.Min(p.Y.Min, *v*1.1)
		}
	}
	roundAxis(p, rounds)
	caption := fmt.Sprintf("Each round's reading of %s against its limit (%s %s, dashed); red points breached it.", s.Name, num(s.Limit), s.Unit)
	if len(gaps) > 0 {
		caption += " Unreadable or not read (a gap): " + roundList(gaps) + "."
	}
	return render(fmt.Sprintf("chart-trigger-%d", n), title, caption, p)
}

func countsChart(rounds []Round) (Chart, error) {
	p := newPlot("Failed and not-judged checks per round", "checks")
	fail, notJudged := make(plotter.Values, len(rounds)), make(plotter.Values, len(rounds))
	top := 1.0
	for i, r := range rounds {
		fail[i], notJudged[i] = float64(r.Counts.Fail), float64(r.Counts.NotJudged)
		top = math.Max(top, math.Max(fail[i], notJudged[i]))
	}
	// Two bars per round, side by side, as wide as the rounds allow.
	w := vg.Length(math.Min(14, math.Max(1, float64(chartWidth)*0.8/float64(len(rounds))*0.35)))
	for _, b := range []struct {
		vs     plotter.Values
		col    color.Color
		label  string
		offset vg.Length
	}{{fail, colRollback, "FAIL", -w / 2}, {notJudged, colHold, "NOT JUDGED", w / 2}} {
		bars, err := plotter.NewBarChart(b.vs, w)
		if err != nil {
			return Chart{}, err
		}
		bars.Color, bars.Offset, bars.XMin, bars.LineStyle.Width = b.col, b.offset, 1, 0
		p.Add(bars)
		p.Legend.Add(b.label, bars)
	}
	p.Y.Min, p.Y.Max = 0, math.Ceil(top*1.35)
	p.Y.Tick.Marker = integerTicks{}
	roundAxis(p, len(rounds))
	return render("chart-counts", "Failed and not-judged checks per round",
		"Checks that failed (red) and checks that could not be judged (amber) in each round: the second is missing evidence, which holds a deploy.", p)
}

var dashes = []vg.Length{vg.Points(6), vg.Points(4)}

func newPlot(title, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "round (in log order)"
	p.Y.Label.Text = yLabel
	p.Legend.Top = true
	// The page's own text is sans-serif; gonum's default serif beside it
	// reads as two documents.
	for _, f := range []*font.Font{&p.Title.TextStyle.Font, &p.X.Label.TextStyle.Font, &p.Y.Label.TextStyle.Font,
		&p.X.Tick.Label.Font, &p.Y.Tick.Label.Font, &p.Legend.TextStyle.Font} {
		f.Variant = "Sans"
	}
	p.Title.TextStyle.Font.Weight = stdfont.WeightBold
	p.Y.Tick.Marker = niceTicks{}
	p.Add(plotter.NewGrid())
	return p
}

// addGaps marks the rounds without a value on the x axis: a line that
// simply stops could be mistaken for the end of the watch.
func addGaps(p *plot.Plot, gaps []int, y float64) error {
	if len(gaps) == 0 {
		return nil
	}
	var pts plotter.XYs
	for _, g := range gaps {
		pts = append(pts, plotter.XY{X: float64(g), Y: y})
	}
	sc, err := plotter.NewScatter(pts)
	if err != nil {
		return err
	}
	sc.GlyphStyle.Color, sc.GlyphStyle.Radius, sc.GlyphStyle.Shape = colMuted, vg.Points(5), draw.CrossGlyph{}
	p.Add(sc)
	p.Legend.Add("no value (gap)", sc)
	return nil
}

// addSegments draws a series as lines between consecutive readings only:
// a line across a missing round would draw a value nobody read.
func addSegments(p *plot.Plot, values []*float64, col color.Color, legend func(string, ...plot.Thumbnailer)) error {
	var seg plotter.XYs
	first := true
	flush := func() error {
		if len(seg) == 0 {
			return nil
		}
		l, err := plotter.NewLine(seg)
		if err != nil {
			return err
		}
		l.Color, l.Width = col, vg.Points(2)
		p.Add(l)
		if first && legend != nil {
			legend("reading", l)
		}
		first, seg = false, nil
		return nil
	}
	for i, v := range values {
		if v == nil {
			if err := flush(); err != nil {
				return err
			}
			continue
		}
		seg = append(seg, plotter.XY{X: float64(i + 1), Y: *v})
	}
	return flush()
}

func points(pts plotter.XYs, col color.Color) (*plotter.Scatter, error) {
	sc, err := plotter.NewScatter(pts)
	if err != nil {
		return nil, err
	}
	sc.GlyphStyle.Color, sc.GlyphStyle.Radius, sc.GlyphStyle.Shape = col, vg.Points(4), draw.CircleGlyph{}
	return sc, nil
}

// roundAxis puts the rounds on x at whole numbers: a tick at round 2.5
// would name a round that never was.
func roundAxis(p *plot.Plot, rounds int) {
	p.X.Min, p.X.Max = 0.5, float64(rounds)+0.5
	p.X.Tick.Marker = integerTicks{}
}

// niceTicks labels about five round values (1, 2, 2.5 or 5 times a power
// of ten): gonum's default labels only the ends of a small range, and a
// 1 % limit between "0.00" and "2.50" cannot be read off the axis.
type niceTicks struct{}

func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return []plot.Tick{{Value: lo, Label: num(lo)}}
	}
	raw := (hi - lo) / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var ts []plot.Tick
	for i := math.Ceil(lo / step); i*step <= hi+step*1e-9; i++ {
		ts = append(ts, plot.Tick{Value: i * step, Label: num(i * step)})
	}
	return ts
}

// integerTicks labels whole numbers only, at most about a dozen of them.
type integerTicks struct{}

func (integerTicks) Ticks(lo, hi float64) []plot.Tick {
	first, last := math.Ceil(lo), math.Floor(hi)
	step := 1.0
	for _, s := range []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000} {
		step = s
		if (last-first)/s <= 12 {
			break
		}
	}
	var ts []plot.Tick
	for v := math.Ceil(first/step) * step; v <= last; v += step {
		ts = append(ts, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64)})
	}
	return ts
}

func render(id, title, caption string, p *plot.Plot) (Chart, error) {
	c := vgimg.NewWith(vgimg.UseWH(chartWidth, chartHeight), vgimg.UseDPI(chartDPI))
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&b); err != nil {
		return Chart{}, fmt.Errorf("%s: %w", title, err)
	}
	size := c.Image().Bounds().Size()
	return Chart{ID: id, Title: title, Caption: caption, PNG: b.Bytes(), Width: size.X, Height: size.Y}, nil
}

func decisionColor(d verdict.Decision) color.Color {
	switch d {
	case verdict.Ship:
		return colShip
	case verdict.Rollback:
		return colRollback
	}
	return colHold
}

// num is a value as a person writes it: 500, 1, 0.25, not 500.000000 or
// the 10.000000000000002 that 0.1 * 100 is in floating point.
func num(v float64) string {
	return strconv.FormatFloat(math.Round(v*1e6)/1e6, 'f', -1, 64)
}

// roundList is "round 3" or "rounds 2-4, 7" for a caption: a monitor
// without Prometheus has a gap in every round, and a caption listing 300
// numbers says less than "rounds 1-300".
func roundList(rs []int) string {
	var parts []string
	for i := 0; i < len(rs); {
		j := i
		for j+1 < len(rs) && rs[j+1] == rs[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", rs[i], rs[j]))
		} else {
			parts = append(parts, strconv.Itoa(rs[i]))
		}
		i = j + 1
	}
	if len(rs) == 1 {
		return "round " + parts[0]
	}
	return "rounds " + strings.Join(parts, ", ")
}
