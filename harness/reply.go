package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// Reply is one answer of a client call that did its own HTTP: the response
// as read, and what it decoded.
//
// Data is the answer's object, decoded when the status is one the endpoint
// answers it with (a 2xx for most; 200 for the A2A routes, as FastAPI
// answers them; any status for a health endpoint, whose 503 carries the
// same body). Metadata is the envelope's `metadata` (parts B and C).
// Error is the contract's {"error": {...}} of a non-2xx answer (nil for a
// body in another shape, such as FastAPI's {"detail": ...}: see
// DecodeDetail).
type Reply[T any] struct {
	Resp     *Response
	Data     *T
	Metadata *Metadata
	Error    *APIError

	raw    json.RawMessage // `data` as sent, for an enveloped 2xx
	expect expectation     // what the endpoint answers when the request did its job
}

// OK reports a 2xx answer.
func (r *Reply[T]) OK() bool { return r != nil && r.Resp != nil && r.Resp.Status/100 == 2 }

// Response is Resp, nil when no response arrived (a nil Reply).
func (r *Reply[T]) Response() *Response {
	if r == nil {
		return nil
	}
	return r.Resp
}

// RawData is the `data` object of an enveloped 2xx reply as sent (nil when
// absent): to hand one stage's output to the next without losing fields the
// client does not model.
func (r *Reply[T]) RawData() json.RawMessage {
	if r == nil {
		return nil
	}
	return r.raw
}

// Done is for callers that need the request to have done its job: it
// returns err (a transport or decode failure) when there is one, and
// otherwise, when the answer's status is not the one the endpoint answers
// a done request with (200 for a read, a 2xx for an action, as each client
// method says), an *HTTPError with the answer's evidence (method, URL,
// status, the start of the body) and what was wanted. The reply comes back
// in every case.
//
//	rep, err := harness.Done(g.Version(ctx))
func Done[T any](rep *Reply[T], err error) (*Reply[T], error) {
	if err != nil || rep == nil || rep.Resp == nil {
		return rep, err
	}
	x := rep.expect
	if x.ok == nil && rep.OK() || x.ok != nil && x.ok(rep.Resp) {
		return rep, nil
	}
	want := x.want
	if want == "" {
		want = "a 2xx status"
	}
	return rep, rep.Resp.Fail(want, x.cause)
}

// expectation is what an endpoint answers when the request did its job.
type expectation struct {
	ok    func(*Response) bool // nil for any 2xx
	want  string               // the words of the failure ("" for "a 2xx status")
	cause error                // the failure's cause, if the endpoint has words for it
}

// wantStatus expects exactly status.
func wantStatus(status int) expectation {
	return expectation{ok: func(r *Response) bool { return r.Status == status }, want: fmt.Sprintf("status %d", status)}
}

// anyAnswer expects nothing: every answer is the caller's to judge.
var anyAnswer = expectation{ok: func(*Response) bool { return true }}

// onStatus decodes the body of a status answer only; anyStatus of all.
func onStatus(status int) func(int) bool { return func(s int) bool { return s == status } }

func anyStatus(int) bool { return true }

// bodyShape is where an answer's object sits in its body.
type bodyShape int

const (
	// enveloped: parts B and C, {"data": ..., "metadata": ...}; a 2xx
	// without a data object is a decode failure.
	enveloped bodyShape = iota
	// bare: the body is the object (part A, health endpoints, the
	// monitoring components).
	bare
	// lenient: the object itself, or under "data" (and under the call's
	// nest keys), for the part C routes the contract lets answer either way.
	lenient
	// ignored: the body is evidence only, nothing is decoded.
	ignored
)

// call is one request of a client method and how its answer is read.
type call struct {
	method, path string
	body         any // JSON-encoded unless []byte; nil sends none
	header       http.Header
	shape        bodyShape
	decodeOn     func(status int) bool // whether the body holds the object (nil: a 2xx)
	nest         []string              // lenient: keys the object may further sit under
	shapeWant    string                // lenient: what a body that does not decode should have been
	expect       expectation
}

func (c call) decodes(status int) bool {
	if c.decodeOn == nil {
		return status/100 == 2
	}
	return c.decodeOn(status)
}

// send is the one requester of the clients that return a Reply: it sends
// the call, reads the answer, decodes the {"error": ...} of a non-2xx and,
// when the status is one the endpoint answers its object with, the object
// in its shape. The error is a transport or decode failure only (an
// *HTTPError with the evidence); the Reply comes back whenever a response
// arrived.
func send[T any](ctx context.Context, q Requester, c call) (*Reply[T], error) {
	var raw []byte
	switch b := c.body.(type) {
	case nil:
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			return nil, fmt.Errorf("encode request for %s: %w", c.path, err)
		}
	}
	resp, err := q.Do(ctx, c.method, c.path, raw, c.header)
	if resp == nil {
		return nil, err
	}
	rep := &Reply[T]{Resp: resp, expect: c.expect}
	if err != nil {
		return rep, err
	}
	if resp.Status/100 != 2 {
		var e struct {
			Error *APIError `json:"error"`
		}
		if json.Unmarshal(resp.Body, &e) == nil {
			rep.Error = e.Error
		}
	}
	if c.shape == ignored || !c.decodes(resp.Status) {
		return rep, nil
	}
	switch c.shape {
	case enveloped:
		var env struct {
			Data     *T        `json:"data"`
			Metadata *Metadata `json:"metadata"`
		}
		if err := resp.DecodeJSON(&env); err != nil {
			return rep, err
		}
		if env.Data == nil {
			return rep, resp.Fail(`a {"data": ..., "metadata": ...} envelope`, fmt.Errorf("no data object"))
		}
		var sent struct {
			Data json.RawMessage `json:"data"`
		}
		_ = json.Unmarshal(resp.Body, &sent) // it decoded above
		rep.Data, rep.Metadata, rep.raw = env.Data, env.Metadata, sent.Data
	case bare:
		var v T
		if err := resp.DecodeJSON(&v); err != nil {
			return rep, err
		}
		rep.Data = &v
	case lenient:
		var probe map[string]json.RawMessage
		if err := resp.DecodeJSON(&probe); err != nil {
			return rep, err
		}
		var v T
		if err := json.Unmarshal(unwrapData(resp.Body, probe, c.nest...), &v); err != nil {
			return rep, resp.Fail(c.shapeWant, fmt.Errorf("decode: %w", err))
		}
		rep.Data = &v
	}
	return rep, nil
}

// unwrapData is the object of a lenient body (probe is the body decoded as
// an object): the first of "data" and the nest keys that holds an object,
// or within it the first nest key that does; the body itself when none does.
func unwrapData(body []byte, probe map[string]json.RawMessage, nest ...string) json.RawMessage {
	for _, k := range append([]string{"data"}, nest...) {
		v, ok := probe[k]
		if !ok || !isObject(v) {
			continue
		}
		var again map[string]json.RawMessage
		if json.Unmarshal(v, &again) == nil {
			for _, n := range nest {
				if f, ok := again[n]; ok && isObject(f) {
					return f
				}
			}
		}
		return v
	}
	return body
}

func isObject(v json.RawMessage) bool { return len(v) > 0 && v[0] == '{' }

// recast is rep with its answer decoded into another type (Data nil): for
// a client method whose body's shape is not the object it returns.
func recast[T, U any](rep *Reply[U]) *Reply[T] {
	if rep == nil {
		return nil
	}
	return &Reply[T]{Resp: rep.Resp, Metadata: rep.Metadata, Error: rep.Error, expect: rep.expect}
}
