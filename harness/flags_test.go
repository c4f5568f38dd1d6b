package harness

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestSetFlagSendsTheAdminKeyAndDecodes: the admin key goes in X-Admin-Key,
// the body is {"enabled": ...}, an enveloped answer decodes, and a refusal
// comes back as a response without a flag.
func TestSetFlagSendsTheAdminKeyAndDecodes(t *testing.T) {
	var gotKey, gotBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotKey = r.Header.Get("X-Admin-Key")
		b := make([]byte, 100)
		n, _ := r.Body.Read(b)
		gotBody = string(b[:n])
		w.Header().Set("Content-Type", "application/json")
		if gotKey != "adm" {
			w.WriteHeader(403)
			_, _ = w.Write([]byte(`{"detail":"Invalid admin key"}`))
			return
		}
		_, _ = w.Write([]byte(`{"data":{"name":"emergency_shutdown","enabled":true,"strategy":"all_at_once"}}`))
	}))
	defer srv.Close()
	g := GenesisClient{Requester{Component: Genesis, Base: srv.URL}}
	rep, err := g.SetFlag(context.Background(), "emergency_shutdown", true, Secret("adm"))
	if err != nil || rep.Data == nil || rep.Data.Enabled == nil || !*rep.Data.Enabled || rep.Resp.Status != 200 {
		t.Fatalf("SetFlag: reply %+v, err %v", rep, err)
	}
	if gotBody != `{"enabled":true}` {
		t.Errorf("body %q", gotBody)
	}
	rep, err = g.SetFlag(context.Background(), "emergency_shutdown", true, Secret("wrong"))
	if err != nil || rep.Data != nil || rep.Resp.Status != 403 {
		t.Errorf("refused write: flag %+v, status %v, err %v", rep.Data, rep.Resp, err)
	}
}

func TestRolloutDecodes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/flags/phase_4_deployment/rollout" {
			w.WriteHeader(404)
			_, _ = w.Write([]byte(`{"detail":"Not Found"}`))
			return
		}
		_, _ = w.Write([]byte(`{"name":"phase_4_deployment","enabled":true,"strategy":"progressive","current_percentage":12.5,"phase":"in_progress","start_date":"2026-11-27T00:00:00Z","end_date":"2026-12-04T00:00:00Z","initial_percentage":0,"end_percentage":100}`))
	}))
	defer srv.Close()
	g := GenesisClient{Requester{Component: Genesis, Base: srv.URL}}
	rep, err := g.Rollout(context.Background(), "phase_4_deployment")
	r := rep.Data
	if err != nil || r.Phase != "in_progress" || *r.CurrentPercentage != 12.5 || *r.EndPercentage != 100 {
		t.Fatalf("Rollout: %+v, %v", r, err)
	}
	rep, err = g.Rollout(context.Background(), "nope")
	if err != nil || rep.Data != nil || rep.Resp.Status != 404 {
		t.Errorf("unknown flag: %+v, %v, %v", rep.Data, rep.Resp, err)
	}
}
