package checks

import (
	"strings"
	"testing"

	"github.com/smokestack-dev/smokestack/harness"
)

// span is a test span: id, name, parent ("" for none), start and end in µs.
func span(id, name, parent string, start, end int64) harness.JaegerSpan {
	sp := harness.JaegerSpan{SpanID: id, OperationName: name, StartTime: start, Duration: end - start}
	if parent != "" {
		sp.References = []harness.JaegerReference{{RefType: "CHILD_OF", SpanID: parent}}
	}
	return sp
}

// runTrace is a healthy run's trace as the reference service reports it,
// its root a child of the suite's span "suite".
func healthyRunTrace() []harness.JaegerSpan {
	return []harness.JaegerSpan{
		span("r", "POST /orchestrate/run", "suite", 1000, 9000),
		span("h", "htdag.decompose", "r", 1100, 3000),
		span("l", "llm.plan", "h", 1200, 2900),
		span("o", "halo.route", "r", 3100, 3500),
		span("a", "aop.validate", "r", 3600, 4000),
		span("x1", "agent.execute", "r", 4100, 5000),
		span("x2", "agent.execute", "r", 5100, 6000),
	}
}

func TestJudgeRunTrace(t *testing.T) {
	edit := func(f func([]harness.JaegerSpan) []harness.JaegerSpan) []harness.JaegerSpan {
		return f(healthyRunTrace())
	}
	for _, tc := range []struct {
		name      string
		spans     []harness.JaegerSpan
		completed int
		want      string // "" = no problem
	}{
		{"healthy", healthyRunTrace(), 2, ""},
		{"healthy without the traceparent (the service started the trace)", edit(func(s []harness.JaegerSpan) []harness.JaegerSpan {
			s[0].References = nil
			return s
		}), 2, ""},
		{"stage span missing", edit(func(s []harness.JaegerSpan) []harness.JaegerSpan { return append(s[:3], s[4:]...) }), 2, "no halo span"},
		{"fewer agent spans than tasks completed", healthyRunTrace(), 3, "2 agent execution spans under the root span, want one per completed task (3)"},
		{"orphaned stage", edit(func(s []harness.JaegerSpan) []harness.JaegerSpan {
			s[4].References[0].SpanID = "lost"
			return s
		}), 2, `span "aop.validate" has parent lost, which is not in the trace`},
		{"two roots", edit(func(s []harness.JaegerSpan) []harness.JaegerSpan {
			s[3].References = nil
			return s
		}), 2, "2 root spans"},
		{"child outlives its parent", edit(func(s []harness.JaegerSpan) []harness.JaegerSpan {
			s[1].Duration += 8000
			return s
		}), 2, `span "htdag.decompose" ends 2ms after its parent`},
		{"child before its parent", edit(func(s []harness.JaegerSpan) []harness.JaegerSpan {
			s[5].StartTime = -2000
			s[5].Duration = 7000
			return s
		}), 2, `span "agent.execute" starts 3ms before its parent`},
		{"stage under the wrong parent, outside its time", edit(func(s []harness.JaegerSpan) []harness.JaegerSpan {
			s[3].References[0].SpanID = "h"
			s[3].Duration = 1400
			return s
		}), 2, `span "halo.route" ends 1.5ms after its parent "htdag.decompose"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(judgeRunTrace(&harness.JaegerTrace{Spans: tc.spans}, "suite", tc.completed), "; ")
			switch {
			case tc.want == "" && got != "":
				t.Errorf("want no problem, got %s", got)
			case tc.want != "" && !strings.Contains(got, tc.want):
				t.Errorf("want %q among the problems, got %q", tc.want, got)
			}
		})
	}
}

func TestTraceIDsCompareWithoutLeadingZeros(t *testing.T) {
	if !harness.SameTraceID("0af7651916cd43dd8448eb211c80319c", "af7651916cd43dd8448eb211c80319c") {
		t.Error("Jaeger drops leading zeros of a trace id: the same id")
	}
	if harness.SameTraceID("0af7651916cd43dd8448eb211c80319c", "0af7651916cd43dd8448eb211c80319d") {
		t.Error("different ids compared equal")
	}
}
