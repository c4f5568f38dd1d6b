package harness

import (
	"math"
	"testing"
)

func TestQuantileBetweenInterpolatesInTheRankBucket(t *testing.T) {
	before := Histogram{Count: 10, Buckets: map[float64]float64{0.01: 5, 0.05: 10, 0.1: 10}}
	// 100 new observations: 50 at most 10 ms, 40 in (10, 50] ms, 10 in (50, 100] ms.
	after := Histogram{Count: 110, Buckets: map[float64]float64{0.01: 55, 0.05: 100, 0.1: 110}}
	q, ok := QuantileBetween(0.95, before, after)
	if !ok || q.Lo != 0.05 || q.Hi != 0.1 || math.Abs(q.Value-0.075) > 1e-9 || q.Count != 100 {
		t.Errorf("QuantileBetween = %+v, %v; want 75 ms in (50, 100] ms over 100", q, ok)
	}
	q, _ = QuantileBetween(0.5, before, after)
	if q.Lo != 0 || q.Hi != 0.01 || math.Abs(q.Value-0.01) > 1e-9 {
		t.Errorf("median = %+v; want 10 ms in (0, 10] ms", q)
	}
}

func TestQuantileBetweenPastTheLastBound(t *testing.T) {
	after := Histogram{Count: 10, Buckets: map[float64]float64{0.01: 1, 0.1: 2}}
	q, ok := QuantileBetween(0.95, Histogram{Buckets: map[float64]float64{}}, after)
	if !ok || !q.Overflowed || q.Value != 0.1 || !math.IsInf(q.Hi, 1) {
		t.Errorf("QuantileBetween = %+v, %v; want the last bound, overflowed", q, ok)
	}
	if _, ok := QuantileBetween(0.95, after, after); ok {
		t.Error("nothing observed between the scrapes, yet a quantile")
	}
}
