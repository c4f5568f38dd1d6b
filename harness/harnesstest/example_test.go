package harnesstest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/smokestack-dev/smokestack/harness/harnesstest"
)

// One route made hostile, one taken away; the rest of the contract stays
// healthy.
func ExampleGenesis() {
	g := harnesstest.Genesis(map[string]http.HandlerFunc{
		"GET /health": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusServiceUnavailable)
		},
		"GET /flags": nil,
	})
	for _, path := range []string{"/health", "/flags", "/a2a/version"} {
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		fmt.Println(path, rec.Code)
	}
	// Output:
	// /health 503
	// /flags 404
	// /a2a/version 200
}
