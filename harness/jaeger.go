package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// JaegerClient reads traces back from Jaeger's query API: the HTTP JSON API
// its UI uses (GET /api/traces/{id}), which Jaeger v1 and v2 both serve.
type JaegerClient struct{ Requester }

// Jaeger is a client for the trace backend's query API.
func (s *Stack) Jaeger() JaegerClient { return JaegerClient{s.requester(Jaeger)} }

// JaegerTrace is one trace as the query API returns it.
type JaegerTrace struct {
	TraceID   string                   `json:"traceID"`
	Spans     []JaegerSpan             `json:"spans"`
	Processes map[string]JaegerProcess `json:"processes"`
	Warnings  []string                 `json:"warnings"`
}

// JaegerSpan is one span of a JaegerTrace. Times are microseconds.
type JaegerSpan struct {
	TraceID       string            `json:"traceID"`
	SpanID        string            `json:"spanID"`
	OperationName string            `json:"operationName"`
	References    []JaegerReference `json:"references"`
	StartTime     int64             `json:"startTime"` // µs since the epoch
	Duration      int64             `json:"duration"`  // µs
	Tags          []JaegerTag       `json:"tags"`
	ProcessID     string            `json:"processID"`
	Warnings      []string          `json:"warnings"`
}

// JaegerReference ties a span to its parent (CHILD_OF) or a span it
// follows (FOLLOWS_FROM).
type JaegerReference struct {
	RefType string `json:"refType"`
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

// JaegerTag is one span attribute; Value is a string, number or bool.
type JaegerTag struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

// JaegerProcess is the service that reported spans.
type JaegerProcess struct {
	ServiceName string `json:"serviceName"`
}

// ParentID is the span's parent span id ("" for a span with none): its
// CHILD_OF reference, else its first reference.
func (sp JaegerSpan) ParentID() string {
	for _, r := range sp.References {
		if r.RefType == "CHILD_OF" {
			return r.SpanID
		}
	}
	if len(sp.References) > 0 {
		return sp.References[0].SpanID
	}
	return ""
}

// End is when the span ended, in microseconds since the epoch.
func (sp JaegerSpan) End() int64 { return sp.StartTime + sp.Duration }

// TagText is the tag's value as text, and whether the span has the tag.
func (sp JaegerSpan) TagText(key string) (string, bool) {
	for _, t := range sp.Tags {
		if t.Key == key {
			return fmt.Sprint(t.Value), true
		}
	}
	return "", false
}

// SameTraceID compares trace ids as the query API may print them: Jaeger
// drops leading zeros of its ids.
func SameTraceID(a, b string) bool {
	return strings.TrimLeft(strings.ToLower(a), "0") == strings.TrimLeft(strings.ToLower(b), "0")
}

// jaegerAnswer is the body of the query API: its own {"data": [...]}.
type jaegerAnswer[T any] struct {
	Data   []T              `json:"data"`
	Errors []map[string]any `json:"errors"`
}

// Trace reads one trace by its id (32 hex digits). A trace Jaeger does not
// have (yet) is a 404 with Data nil: its spans may still be on their way,
// the caller decides how long to wait. Done wants 200 or 404.
func (j JaegerClient) Trace(ctx context.Context, id string) (*Reply[JaegerTrace], error) {
	body, err := send[jaegerAnswer[JaegerTrace]](ctx, j.Requester, call{method: http.MethodGet, path: "/api/traces/" + url.PathEscape(id),
		shape: bare, decodeOn: onStatus(http.StatusOK),
		expect: expectation{ok: func(r *Response) bool { return r.Status == http.StatusOK || r.Status == http.StatusNotFound },
			want: "status 200 or 404 (trace not found)"}})
	rep := recast[JaegerTrace](body)
	if err != nil || body.Data == nil {
		return rep, err
	}
	for _, t := range body.Data.Data {
		if SameTraceID(t.TraceID, id) && len(t.Spans) > 0 {
			rep.Data = &t
			return rep, nil
		}
	}
	if len(body.Data.Data) > 0 {
		got := make([]string, len(body.Data.Data))
		for i, t := range body.Data.Data {
			got[i] = t.TraceID
		}
		b, _ := json.Marshal(got)
		return rep, rep.Resp.Fail("the trace asked for", fmt.Errorf("the answer holds traces %s, not %s", b, id))
	}
	return rep, nil
}

// Services lists the services Jaeger has spans of (GET /api/services);
// Done wants 200.
func (j JaegerClient) Services(ctx context.Context) (*Reply[[]string], error) {
	body, err := send[jaegerAnswer[string]](ctx, j.Requester, readCall("/api/services"))
	rep := recast[[]string](body)
	if body != nil && body.Data != nil {
		rep.Data = &body.Data.Data
	}
	return rep, err
}
