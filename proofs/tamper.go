package proofs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"regexp"
	"strconv"
	"strings"

	"github.com/smokestack-dev/smokestack/harness"
)

// tamper changes the traffic of the requests it matches: the request before
// it is forwarded, and the answer before it is returned.
type tamper struct {
	match    func(r *http.Request) bool
	request  func(r *http.Request)
	response func(r *http.Request, status int, h http.Header, body []byte) (int, []byte)
	// serve answers in place of Genesis when it returns true.
	serve func(w http.ResponseWriter, r *http.Request, s *harness.Stack) bool
}

// Tampered swaps Genesis for a reverse proxy to it that applies tampers:
// every other request and answer passes unchanged, so only the checks that
// judge the tampered route can notice.
func Tampered(tampers ...tamper) Action {
	return Proxied(harness.Genesis, func(s *harness.Stack, rp *httputil.ReverseProxy) http.Handler {
		rp.ModifyResponse = func(resp *http.Response) error {
			for _, t := range tampers {
				if t.response == nil || !t.match(resp.Request) {
					continue
				}
				body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
				resp.Body.Close()
				if err != nil {
					return err
				}
				status, out := t.response(resp.Request, resp.StatusCode, resp.Header, body)
				resp.StatusCode = status
				resp.Status = fmt.Sprintf("%d %s", status, http.StatusText(status))
				resp.Body = io.NopCloser(bytes.NewReader(out))
				resp.ContentLength = int64(len(out))
				resp.Header.Set("Content-Length", strconv.Itoa(len(out)))
			}
			return nil
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for _, t := range tampers {
				if !t.match(r) {
					continue
				}
				if t.serve != nil && t.serve(w, r, s) {
					return
				}
				if t.request != nil {
					t.request(r)
				}
			}
			// Let the proxy's transport negotiate (and undo) compression,
			// so a tamper sees the plain body.
			r.Header.Del("Accept-Encoding")
			rp.ServeHTTP(w, r)
		})
	})
}

func route(method, path string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Method == method && r.URL.Path == path }
}

func prefix(method, path string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Method == method && strings.HasPrefix(r.URL.Path, path) }
}

// jsonAnswer replaces the answer with status and body.
func jsonAnswer(status int, body string) func(*http.Request, int, http.Header, []byte) (int, []byte) {
	return func(_ *http.Request, _ int, h http.Header, _ []byte) (int, []byte) {
		h.Set("Content-Type", "application/json")
		return status, []byte(body)
	}
}

// ifStatus applies f only to answers with status code; others pass.
func ifStatus(code int, f func(*http.Request, int, http.Header, []byte) (int, []byte)) func(*http.Request, int, http.Header, []byte) (int, []byte) {
	return func(r *http.Request, status int, h http.Header, body []byte) (int, []byte) {
		if status != code {
			return status, body
		}
		return f(r, status, h, body)
	}
}

// onData edits the `data` object of a route's 2xx envelope answers.
func onData(method, path string, edit func(data map[string]any)) tamper {
	return tamper{match: route(method, path), response: func(_ *http.Request, status int, _ http.Header, body []byte) (int, []byte) {
		return status, editedJSON(status, body, func(env map[string]any) bool {
			data, ok := env["data"].(map[string]any)
			if ok {
				edit(data)
			}
			return ok
		})
	}}
}

// onJSON edits a route's 2xx JSON object answers.
func onJSON(method, path string, edit func(map[string]any)) tamper {
	return tamper{match: route(method, path), response: func(_ *http.Request, status int, _ http.Header, body []byte) (int, []byte) {
		return status, editedJSON(status, body, func(m map[string]any) bool { edit(m); return true })
	}}
}

// editedJSON is body, a 2xx JSON object answer, re-encoded after edit (which
// says whether it edited anything); any other body, or one edit left alone,
// passes byte for byte.
func editedJSON(status int, body []byte, edit func(map[string]any) bool) []byte {
	var m map[string]any
	if status/100 != 2 || json.Unmarshal(body, &m) != nil || !edit(m) {
		return body
	}
	out, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return out
}

// peekBody reads a request's body and puts it back for the proxy.
func peekBody(r *http.Request) []byte {
	if r.Body == nil {
		return nil
	}
	b, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b
}

// rewriteBodyIf forwards body instead of a request body holding marker.
func rewriteBodyIf(marker, body string) func(*http.Request) {
	return func(r *http.Request) {
		if !bytes.Contains(peekBody(r), []byte(marker)) {
			return
		}
		r.Body = io.NopCloser(strings.NewReader(body))
		r.ContentLength = int64(len(body))
		r.Header.Del("Content-Length")
	}
}

// answerIf answers status and body, in place of Genesis, a request whose
// body holds marker; others pass.
func answerIf(marker string, status int, body string) func(http.ResponseWriter, *http.Request, *harness.Stack) bool {
	return func(w http.ResponseWriter, r *http.Request, _ *harness.Stack) bool {
		if !bytes.Contains(peekBody(r), []byte(marker)) {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "r")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
		return true
	}
}

// correlationPrefix matches the requests of one check, by the prefix of
// the correlation ids it sends.
func correlationPrefix(p string) func(*http.Request) bool {
	return func(r *http.Request) bool { return strings.HasPrefix(r.Header.Get("X-Correlation-Id"), p) }
}

// ---- edits of the exposition (/metrics) ------------------------------------------------

// Metric families the rows tamper with.
const (
	tripsFamily    = "genesis_circuit_breaker_trips_total"
	errorsFamily   = "genesis_errors_total"
	requestsFamily = "genesis_http_requests_total"
)

// dropFamily removes a metric family's lines from an exposition.
func dropFamily(name string) func(*http.Request, int, http.Header, []byte) (int, []byte) {
	return func(_ *http.Request, status int, _ http.Header, body []byte) (int, []byte) {
		var out []string
		for _, line := range strings.Split(string(body), "\n") {
			fields := strings.Fields(strings.TrimPrefix(strings.TrimPrefix(line, "# HELP "), "# TYPE "))
			if len(fields) > 0 && (fields[0] == name || strings.HasPrefix(fields[0], name+"{")) {
				continue
			}
			out = append(out, line)
		}
		return status, []byte(strings.Join(out, "\n"))
	}
}

// freezeFamily rewrites every sample of a family to 0: the family is there,
// but nothing it counts grows.
func freezeFamily(name string) func(*http.Request, int, http.Header, []byte) (int, []byte) {
	sample := regexp.MustCompile(`^(` + regexp.QuoteMeta(name) + `(?:\{[^}]*\})?) \S+(.*)$`)
	return func(_ *http.Request, status int, _ http.Header, body []byte) (int, []byte) {
		lines := strings.Split(string(body), "\n")
		for i, l := range lines {
			lines[i] = sample.ReplaceAllString(l, "${1} 0${2}")
		}
		return status, []byte(strings.Join(lines, "\n"))
	}
}
