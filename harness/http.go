package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// MarkerHeader goes on every request the suite sends, so operators can
// exclude smoke traffic from business metrics.
const MarkerHeader = "X-Smoke-Test"

// maxBody caps what a client reads from one response: a hostile or broken
// component cannot make a check hold gigabytes.
const maxBody = 4 << 20

// bodyExcerpt is how much of a body an error message quotes.
const bodyExcerpt = 200

// HTTPError is the evidence of one failed request: which component, which
// URL, what status and body came back, or which transport error happened.
type HTTPError struct {
	Component Component
	Method    string
	URL       string
	Status    int    // 0 when no response arrived
	Body      string // the first bytes of the body, secrets redacted
	Want      string // what the caller expected (status, content type)
	Err       error  // transport or decode error, if any
}

func (e *HTTPError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s: ", e.Component.Title(), e.Method, RedactURL(e.URL))
	switch {
	case e.Status == 0 && e.Err != nil:
		fmt.Fprintf(&b, "no response: %v", e.Err)
	case e.Err != nil:
		fmt.Fprintf(&b, "status %d, %v", e.Status, e.Err)
	default:
		fmt.Fprintf(&b, "status %d", e.Status)
	}
	if e.Want != "" {
		fmt.Fprintf(&b, " (want %s)", e.Want)
	}
	if e.Body != "" {
		fmt.Fprintf(&b, "; body: %q", e.Body)
	}
	if hint := AuthHint(e.Component, e.Status); hint != "" {
		b.WriteString("; " + hint)
	}
	return b.String()
}

// AuthHint says which settings carry the credentials a component refused
// the request for, so a 401 names its fix.
func AuthHint(c Component, status int) string {
	if status != http.StatusUnauthorized && status != http.StatusForbidden {
		return ""
	}
	switch c {
	case Prometheus:
		return fmt.Sprintf("Prometheus wants credentials: set %s, or %s and %s", Env.PrometheusToken, Env.PrometheusUser, Env.PrometheusPassword)
	case Grafana:
		return fmt.Sprintf("Grafana wants credentials: set %s, or %s and %s", Env.GrafanaToken, Env.GrafanaUser, Env.GrafanaPassword)
	}
	return ""
}

func (e *HTTPError) Unwrap() error { return e.Err }

// Response is a fully read HTTP response.
type Response struct {
	Component Component
	Method    string
	URL       string
	Status    int
	Header    http.Header
	Body      []byte
	Elapsed   time.Duration
}

// Excerpt is the start of the body, safe to print.
func (r *Response) Excerpt() string { return excerpt(r.Body) }

// Fail builds an HTTPError carrying this response's evidence.
func (r *Response) Fail(want string, err error) *HTTPError {
	return &HTTPError{Component: r.Component, Method: r.Method, URL: r.URL, Status: r.Status,
		Body: r.Excerpt(), Want: want, Err: err}
}

// DecodeJSON decodes the body into out, failing with evidence when the body
// is not JSON (an HTML error page, a truncated answer).
func (r *Response) DecodeJSON(out any) error {
	ct := r.Header.Get("Content-Type")
	if ct != "" && !strings.Contains(ct, "json") {
		return r.Fail("a JSON body", fmt.Errorf("content type %q", ct))
	}
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	if err := dec.Decode(out); err != nil {
		return r.Fail("a JSON body", fmt.Errorf("decode: %w", err))
	}
	return nil
}

// suiteClient is the suite's own HTTP client with its own connection pool:
// code that shares http.DefaultTransport (an httptest server's Close closes
// its idle connections) cannot touch the suite's connections.
var suiteClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}

// Requester sends requests for one component with the suite's deadline and
// marker header. It is a value: copy it freely.
type Requester struct {
	Component Component
	Base      string // scheme://host:port, no trailing slash
	Timeout   time.Duration
	Header    http.Header // added to every request (credentials go here)
	Client    *http.Client
}

// Do sends one request and reads the whole (capped) response. A non-nil
// error is an *HTTPError; a response with any status is returned as is so
// the caller decides what is wrong.
func (q Requester) Do(ctx context.Context, method, path string, body []byte, header http.Header) (*Response, error) {
	noteNetworkInput()
	url := q.Base + path
	timeout := q.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeouts.HTTP
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, &HTTPError{Component: q.Component, Method: method, URL: url, Err: err}
	}
	req.Header.Set(MarkerHeader, "1")
	req.Header.Set("User-Agent", "smokestack")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range q.Header {
		req.Header[k] = vs
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if id := drillCorrelation(ctx); id != "" && q.Component == Genesis && req.Header.Get("X-Correlation-Id") == "" {
		req.Header.Set("X-Correlation-Id", id)
	}
	client := q.Client
	if client == nil {
		client = suiteClient
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %s: %w", timeout, err)
		}
		return nil, &HTTPError{Component: q.Component, Method: method, URL: url, Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	out := &Response{Component: q.Component, Method: method, URL: url, Status: resp.StatusCode,
		Header: resp.Header, Body: data, Elapsed: time.Since(start)}
	if err != nil {
		return out, out.Fail("a complete body", fmt.Errorf("read body: %w", err))
	}
	return out, nil
}

// Get is Do with GET and no body.
func (q Requester) Get(ctx context.Context, path string) (*Response, error) {
	return q.Do(ctx, http.MethodGet, path, nil, nil)
}

// excerpt returns the start of a body as valid UTF-8 with credentials redacted.
func excerpt(body []byte) string {
	s := string(body)
	if len(s) > bodyExcerpt {
		s = s[:bodyExcerpt]
		for !utf8.ValidString(s) && len(s) > 0 {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return RedactText(strings.TrimSpace(s))
}
