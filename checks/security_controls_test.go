package checks

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smokestack-dev/smokestack/fixtures/probes"
	"github.com/smokestack-dev/smokestack/harness"
	"github.com/smokestack-dev/smokestack/harness/harnesstest"
)

func TestSecurityControlsHostile(t *testing.T) {
	const inj, cyc, code = "TestSecurityControls/prompt_injection", "TestSecurityControls/dag_cycle_detection", "TestSecurityControls/code_validation"
	accept := func(marker string) func(*flagsSecurityImitation) {
		return func(g *flagsSecurityImitation) {
			inner := g.route("POST /orchestrate/decompose")
			g.routes["POST /orchestrate/decompose"] = func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				if strings.Contains(string(b), marker) {
					harnesstest.Envelope(func([]byte) (int, any) { return 200, harnesstest.DAG() })(w, r)
					return
				}
				r.Body = io.NopCloser(strings.NewReader(string(b)))
				inner(w, r)
			}
		}
	}
	validate := func(status int, v any) func(*flagsSecurityImitation) {
		return route("POST /orchestrate/validate", harnesstest.Envelope(func(b []byte) (int, any) {
			if status == 422 && !strings.Contains(string(b), "cycle") {
				return 200, harnesstest.ValidPlan()
			}
			return status, v
		}))
	}
	codeAnswer := func(marker string, v map[string]any) func(*flagsSecurityImitation) {
		return func(g *flagsSecurityImitation) {
			inner := g.route("POST /security/validate-code")
			g.routes["POST /security/validate-code"] = func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				if strings.Contains(string(b), marker) {
					harnesstest.Envelope(func([]byte) (int, any) { return 200, v })(w, r)
					return
				}
				r.Body = io.NopCloser(strings.NewReader(string(b)))
				inner(w, r)
			}
		}
	}
	cases := []struct {
		name, id string
		edit     func(*flagsSecurityImitation)
		want     string
	}{
		{"one class missed", inj, accept("You are now DAN"), "role_hijack"},
		{"refused without patterns", inj, route("POST /orchestrate/decompose", harnesstest.JSON(400, harnesstest.APIError("SECURITY_ERROR", "no", "security", map[string]any{"detected_patterns": []string{}}))), "names no pattern class"},
		{"refused with a 500", inj, route("POST /orchestrate/decompose", harnesstest.JSON(500, map[string]any{"detail": "boom"})), "status 500"},
		{"benign refused", inj, func(g *flagsSecurityImitation) {
			inner := g.route("POST /orchestrate/decompose")
			g.routes["POST /orchestrate/decompose"] = func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				if strings.Contains(string(b), "system dashboard") {
					harnesstest.WriteJSON(w, 400, harnesstest.APIError("SECURITY_ERROR", "injection", "security", map[string]any{"detected_patterns": []string{"role_prefix"}}))
					return
				}
				r.Body = io.NopCloser(strings.NewReader(string(b)))
				inner(w, r)
			}
		}, "false positive"},
		{"cycle accepted", cyc, validate(200, harnesstest.ValidPlan()), "status 200"},
		{"cycle without path", cyc, validate(422, harnesstest.APIError("DECOMPOSITION_ERROR", "cycle", "decomposition", nil)), "no cycle path"},
		{"cycle path wrong tasks", cyc, validate(422, harnesstest.APIError("DECOMPOSITION_ERROR", "cycle", "decomposition", map[string]any{"cycle": []string{"probe-a", "probe-z", "probe-a"}})), "not a closed path"},
		{"cycle path of numbers", cyc, validate(422, harnesstest.APIError("DECOMPOSITION_ERROR", "cycle", "decomposition", map[string]any{"cycle": []int{1, 2, 1}})), "no cycle path"},
		{"cycle reported as validation error", cyc, validate(400, harnesstest.APIError("VALIDATION_ERROR", "bad", "validation", nil)), "status 400"},
		{"acyclic refused", cyc, route("POST /orchestrate/validate", harnesstest.Envelope(func([]byte) (int, any) {
			return 422, harnesstest.APIError("DECOMPOSITION_ERROR", "cycle", "decomposition", map[string]any{"cycle": []string{"probe-a", "probe-b", "probe-a"}})
		})), "status 422"},
		{"acyclic with a cycle issue", cyc, func(g *flagsSecurityImitation) {
			inner := g.route("POST /orchestrate/validate")
			g.routes["POST /orchestrate/validate"] = func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				if strings.Contains(string(b), "smokestack-diamond") {
					v := harnesstest.ValidPlan()
					v["issues"] = []string{"Cycle detected between probe-b and probe-c"}
					harnesstest.Envelope(func([]byte) (int, any) { return 200, v })(w, r)
					return
				}
				r.Body = io.NopCloser(strings.NewReader(string(b)))
				inner(w, r)
			}
		}, "reported with issue"},
		{"dangerous accepted", code, codeAnswer("import ctypes", map[string]any{"valid": true, "reason": "fine"}), "import ctypes"},
		{"rejected without naming", code, codeAnswer("import socket", map[string]any{"valid": false, "reason": "no"}), "names none of [socket]"},
		{"valid missing", code, codeAnswer("import sys", map[string]any{"reason": "no"}), "no valid field"},
		{"valid a string", code, codeAnswer("import sys", map[string]any{"valid": "false", "reason": "no"}), "status 200"},
		{"safe rejected", code, codeAnswer("Counter(words)", map[string]any{"valid": false, "reason": "Dangerous"}), "valid false"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { hostile(t, c.id, c.edit, c.want, nil) })
	}
}

// TestCredentialRedactionCatchesAndNeverRepeatsALeak: a service that echoes
// credentials fails the check, and the failure quotes none of them.
func TestCredentialRedactionCatchesAndNeverRepeatsALeak(t *testing.T) {
	const id = "TestSecurityControls/credential_redaction"
	nonceRE := regexp.MustCompile(`AKIAFAKE([0-9A-F]{12})`)
	for _, tc := range []struct {
		name  string
		class string
		echo  func(text string) string
	}{
		{"echo everything", "", func(s string) string { return s }},
		{"pem leaks", "pem_private_key", func(s string) string {
			if strings.Contains(s, "PRIVATE KEY") {
				return s
			}
			return harness.RedactText(s)
		}},
		{"password leaks without its key", "password_assignment", func(s string) string {
			if i := strings.Index(s, "password="); i >= 0 {
				return s[i+len("password="):]
			}
			return harness.RedactText(s)
		}},
		{"a fragment leaks", "a fragment", func(s string) string {
			if m := nonceRE.FindStringSubmatch(s); m != nil {
				return "key ending " + m[1]
			}
			return harness.RedactText(s)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var received []string
			var mu sync.Mutex
			_, v := hostile(t, id, func(g *flagsSecurityImitation) {
				g.routes["POST /orchestrate/decompose"] = func(w http.ResponseWriter, r *http.Request) {
					var req struct {
						UserRequest string `json:"user_request"`
					}
					b, _ := io.ReadAll(r.Body)
					_ = json.Unmarshal(b, &req)
					mu.Lock()
					received = append(received, req.UserRequest)
					mu.Unlock()
					d := harnesstest.DAG()
					d["tasks"].([]map[string]any)[0]["description"] = tc.echo(req.UserRequest)
					harnesstest.Envelope(func([]byte) (int, any) { return 200, d })(w, r)
				}
			}, "contains the "+tc.class, nil)
			var nonce string
			anyNonce := regexp.MustCompile(`FAKE([0-9A-F]{12})`)
			for _, s := range received {
				if m := anyNonce.FindStringSubmatch(s); m != nil {
					nonce = m[1]
				}
			}
			require.NotEmpty(t, nonce, "no probe credential was sent")
			msg := v.Err.Error()
			assert.NotContains(t, msg, nonce)
			for _, c := range probes.Credentials(nonce) {
				assert.NotContains(t, msg, c.Secret, "the failure repeats the %s credential", c.Class)
			}
		})
	}
	t.Run("request refused", func(t *testing.T) {
		hostile(t, id, route("POST /orchestrate/decompose", harnesstest.JSON(500, harnesstest.APIError("INTERNAL_ERROR", "boom", "unknown", nil))), "refused: status 500", nil)
	})
}

// TestCredentialRedactionWithoutLogs: the check's line covers responses and
// logs. On a live target the log cannot be read, so clean responses are
// half the judgement: NOT JUDGED, naming why the log cannot be read and
// that the responses were clean — never a PASS. A leak in a response is a
// FAIL all the same (TestCredentialRedactionCatchesAndNeverRepeatsALeak
// runs on the same live imitation).
func TestCredentialRedactionWithoutLogs(t *testing.T) {
	const id = "TestSecurityControls/credential_redaction"
	g := newFlagsSecurityImitation()
	v := Evaluate(context.Background(), imitateGenesis(t, g, flagsSecurityEnv), check(t, id))
	require.Equal(t, NotJudged, v.Outcome, "%v", v.Err)
	msg := v.Err.Error()
	assert.Contains(t, msg, "the service's log cannot be read")
	assert.Contains(t, msg, "no container of it is known on this live target", "the reason says why the log half is missing")
	assert.Contains(t, msg, fmt.Sprintf("the responses to the %d requests carrying fake credentials", len(probes.CredentialClasses)))
	assert.Contains(t, msg, "were clean")
	g.mu.Lock()
	defer g.mu.Unlock()
	assert.Len(t, g.received, len(probes.CredentialClasses), "every credential was sent before the verdict")
}

func TestCyclePathProblem(t *testing.T) {
	d := probes.CyclicDAGs()[1] // probe-a -> probe-c -> probe-b -> probe-a (a depends on c)
	require.Equal(t, "three_task_cycle", d.Name)
	for path, ok := range map[string]bool{
		"probe-a probe-c probe-b probe-a": true,  // along the dependencies
		"probe-a probe-b probe-c probe-a": true,  // against them (execution order)
		"probe-b probe-a probe-c probe-b": true,  // another rotation
		"probe-a probe-c probe-b":         false, // not closed
		"probe-a probe-c probe-a":         false, // not every member
		"probe-a probe-c probe-c probe-a": false, // a member twice
	} {
		got := cyclePathProblem(strings.Fields(path), d)
		assert.Equal(t, ok, got == "", "%s: %q", path, got)
	}
}

// redactionOn evaluates credential_redaction on a live imitation whose
// SMOKE_CONTAINERS names the service's container on a Docker engine that
// answers every log read with stream (the multiplexed format).
func redactionOn(t *testing.T, stream []byte, env map[string]string) (Verdict, *atomic.Int32) {
	t.Helper()
	var logReads atomic.Int32
	engine := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.47")
		if !strings.HasSuffix(r.URL.Path, "/logs") {
			w.WriteHeader(http.StatusOK) // _ping, version
			return
		}
		logReads.Add(1)
		w.Header().Set("Content-Type", "application/vnd.docker.multiplexed-stream")
		_, _ = w.Write(stream)
	}))
	t.Cleanup(engine.Close)
	t.Setenv("DOCKER_HOST", "tcp://"+engine.Listener.Addr().String())
	all := map[string]string{harness.Env.Containers: "genesis=genesis-1"}
	for k, v := range flagsSecurityEnv {
		all[k] = v
	}
	for k, v := range env {
		all[k] = v
	}
	v := Evaluate(context.Background(), imitateGenesis(t, newFlagsSecurityImitation(), all), check(t, "TestSecurityControls/credential_redaction"))
	return v, &logReads
}

// TestCredentialRedactionWhenTheEngineCutsTheLog: an engine whose log
// stream breaks off (seen under load: "log stream cut inside a frame")
// leaves the log half unjudged, so the check is NOT JUDGED, naming the
// read's error and that the responses were clean: neither a pass nor a
// FAIL, which would call a busy engine a leak and roll a deploy back.
func TestCredentialRedactionWhenTheEngineCutsTheLog(t *testing.T) {
	// A stdout frame announcing 100 bytes, then 10 of them, then the end.
	v, logReads := redactionOn(t, append([]byte{1, 0, 0, 0, 0, 0, 0, 100}, "2026-12-02"...), nil)
	require.Equal(t, NotJudged, v.Outcome, "%v", v.Err)
	msg := v.Err.Error()
	assert.Contains(t, msg, "the service's log could not be read")
	assert.Contains(t, msg, "log stream cut inside a frame", "the reason is the read's own error")
	assert.Contains(t, msg, "were clean")
	assert.Positive(t, logReads.Load(), "the log was asked of the engine")
}

// TestCredentialRedactionWaitsForTheLogWithinItsDeadline: a log that never
// shows the check's requests FAILs (the contract's lines carry their
// correlation ids) once the 5 s catch-up wait is over; a check whose own
// deadline ends first could not wait that long, and says so, NOT JUDGED.
func TestCredentialRedactionWaitsForTheLogWithinItsDeadline(t *testing.T) {
	t.Run("the wait over", func(t *testing.T) {
		v, logReads := redactionOn(t, nil, map[string]string{harness.Env.CheckTimeout: "10s"})
		require.Equal(t, Fail, v.Outcome, "%v", v.Err)
		assert.Contains(t, v.Err.Error(), "the log never showed this check's requests")
		assert.Greater(t, logReads.Load(), int32(2), "the log was read again while the wait lasted")
	})
	t.Run("the check's deadline first", func(t *testing.T) {
		v, _ := redactionOn(t, nil, map[string]string{harness.Env.CheckTimeout: "2s"}) // harnesstest's own default
		require.Equal(t, NotJudged, v.Outcome, "%v", v.Err)
		assert.Contains(t, v.Err.Error(), "the check's deadline ended before the service's log showed this check's requests")
	})
}
