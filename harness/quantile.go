package harness

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// ServerQuantile is a quantile of the observations a histogram gained
// between two scrapes, estimated the way PromQL's histogram_quantile does
// (linear within the bucket that holds the rank), with the bucket's bounds:
// the true value lies in (Lo, Hi], which is all a histogram can say.
type ServerQuantile struct {
	Q          float64
	Value      float64 // seconds
	Lo, Hi     float64 // the bucket holding the rank; Hi is +Inf past the last bound
	Count      float64 // observations between the scrapes
	Overflowed bool    // the rank is past the last finite bound: Value is that bound
}

func (s ServerQuantile) String() string {
	hi := "+Inf"
	if !math.IsInf(s.Hi, 1) {
		hi = secondsText(s.Hi)
	}
	return fmt.Sprintf("p(%g) %s (bucket %s–%s) over %g observations", 100*s.Q, secondsText(s.Value), secondsText(s.Lo), hi, s.Count)
}

// Duration is Value as a duration.
func (s ServerQuantile) Duration() time.Duration {
	return time.Duration(s.Value * float64(time.Second))
}

func secondsText(v float64) string {
	return time.Duration(v * float64(time.Second)).Round(10 * time.Microsecond).String()
}

// QuantileBetween estimates quantile q (0..1) of what the histogram
// observed between before and after. ok is false when nothing was
// observed or the histogram has no buckets (a summary).
func QuantileBetween(q float64, before, after Histogram) (ServerQuantile, bool) {
	total := after.Count - before.Count
	out := ServerQuantile{Q: q, Count: total}
	if total <= 0 || after.Buckets == nil {
		return out, false
	}
	bounds := make([]float64, 0, len(after.Buckets))
	for le := range after.Buckets {
		bounds = append(bounds, le)
	}
	sort.Float64s(bounds)
	rank := q * total
	lo, below := 0.0, 0.0
	for _, le := range bounds {
		cum := after.Buckets[le] - before.Buckets[le]
		if cum >= rank {
			in := cum - below
			out.Lo, out.Hi = lo, le
			out.Value = le
			if in > 0 {
				out.Value = lo + (le-lo)*(rank-below)/in
			}
			return out, true
		}
		lo, below = le, cum
	}
	out.Lo, out.Hi, out.Value, out.Overflowed = lo, math.Inf(1), lo, true
	return out, true
}
