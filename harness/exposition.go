package harness

import (
	"fmt"
	"math"
	"sort"
	"strings"

	dto "github.com/prometheus/client_model/go"
)

// An exposition scraped with MetricsClient is read here as PromQL selects
// from it: a family by name, its series by a subset of their labels.

// MetricValue sums the series of family name whose labels include every
// pair of match: a counter's or gauge's value, a histogram's or summary's
// sample count. found is false when no series matches — which a check must
// treat as "not measured", never as zero. A histogram's count says it was
// fed, not what with: judge a latency histogram with HistogramValue and
// JudgeLatencyHistogram.
func MetricValue(fams map[string]*dto.MetricFamily, name string, match map[string]string) (v float64, found bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		if !labelsMatch(m.GetLabel(), match) {
			continue
		}
		found = true
		switch {
		case m.Counter != nil:
			v += m.GetCounter().GetValue()
		case m.Gauge != nil:
			v += m.GetGauge().GetValue()
		case m.Histogram != nil:
			v += float64(m.GetHistogram().GetSampleCount())
		case m.Summary != nil:
			v += float64(m.GetSummary().GetSampleCount())
		case m.Untyped != nil:
			v += m.GetUntyped().GetValue()
		}
	}
	return v, found
}

func labelsMatch(have []*dto.LabelPair, want map[string]string) bool {
	for k, v := range want {
		ok := false
		for _, l := range have {
			if l.GetName() == k && l.GetValue() == v {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// Series writes a family name and label match as PromQL would:
// genesis_errors_total{category="security"}.
func Series(name string, match map[string]string) string {
	if len(match) == 0 {
		return name
	}
	keys := make([]string, 0, len(match))
	for k := range match {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%q", k, match[k])
	}
	return name + "{" + strings.Join(parts, ",") + "}"
}

// Histogram is a histogram (or summary) read from an exposition: count, sum
// and cumulative bucket counts by upper bound, summed over every series that
// matches. Buckets holds only the finite bounds every matched series has
// (nil for a summary).
type Histogram struct {
	Count, Sum float64
	Buckets    map[float64]float64
}

// HistogramValue reads the histogram series of family name whose labels
// include every pair of match. found is false when no series matches; a
// family of another type is an error.
func HistogramValue(fams map[string]*dto.MetricFamily, name string, match map[string]string) (h Histogram, found bool, err error) {
	f, ok := fams[name]
	if !ok {
		return h, false, nil
	}
	switch f.GetType() {
	case dto.MetricType_HISTOGRAM, dto.MetricType_SUMMARY, dto.MetricType_GAUGE_HISTOGRAM:
	default:
		return h, false, fmt.Errorf("%s is a %s, not a histogram", name, strings.ToLower(f.GetType().String()))
	}
	var bounds map[float64]int // bound -> number of matched series that have it
	series := 0
	for _, m := range f.GetMetric() {
		if !labelsMatch(m.GetLabel(), match) {
			continue
		}
		series++
		if hg := m.GetHistogram(); hg != nil {
			h.Count += float64(hg.GetSampleCount())
			h.Sum += hg.GetSampleSum()
			if h.Buckets == nil {
				h.Buckets, bounds = map[float64]float64{}, map[float64]int{}
			}
			for _, b := range hg.GetBucket() {
				le := b.GetUpperBound()
				if math.IsInf(le, 1) {
					continue
				}
				h.Buckets[le] += float64(b.GetCumulativeCount())
				bounds[le]++
			}
		} else if sm := m.GetSummary(); sm != nil {
			h.Count += float64(sm.GetSampleCount())
			h.Sum += sm.GetSampleSum()
		}
	}
	for le, n := range bounds {
		if n != series {
			delete(h.Buckets, le) // not a bound of every series: its sum means nothing
		}
	}
	return h, series > 0, nil
}
