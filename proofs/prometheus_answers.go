package proofs

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"

	"github.com/smokestack-dev/smokestack/harness"
)

// PrometheusAnswers swaps Prometheus for a proxy to it that answers the
// instant queries of answers with their bodies and forwards everything
// else: only a check that sends one of them can notice.
func PrometheusAnswers(answers map[string]func() string) Action {
	return PrometheusQueries(func(q string) (string, bool) {
		body, ok := answers[q]
		if !ok {
			return "", false
		}
		return body(), true
	})
}

// PrometheusQueries swaps Prometheus for a proxy to it that answers an
// instant query with the body answer gives, when it gives one, and
// forwards everything else.
func PrometheusQueries(answer func(query string) (body string, ok bool)) Action {
	return Proxied(harness.Prometheus, func(_ *harness.Stack, rp *httputil.ReverseProxy) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/api/v1/query" {
				raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
				r.Body.Close()
				r.Body = io.NopCloser(bytes.NewReader(raw))
				form, _ := url.ParseQuery(string(raw))
				q := form.Get("query")
				if q == "" {
					q = r.URL.Query().Get("query")
				}
				if body, ok := answer(q); ok {
					w.Header().Set("Content-Type", "application/json")
					fmt.Fprint(w, body)
					return
				}
			}
			rp.ServeHTTP(w, r)
		})
	})
}

func emptyVector() string {
	return `{"status":"success","data":{"resultType":"vector","result":[]}}`
}
