package harnesstest

import (
	"fmt"
	"net/http"
)

// PrometheusQuery imitates Prometheus' query API: every request answers
// success with an instant vector whose samples are answer(query), the
// comma-separated JSON samples ("" for an empty vector). Sample writes one.
func PrometheusQuery(answer func(query string) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[%s]}}`, answer(r.Form.Get("query")))
	})
}

// Sample is one unlabelled vector sample of value v, for PrometheusQuery.
func Sample(v string) string { return `{"metric":{},"value":[1700000000,"` + v + `"]}` }
