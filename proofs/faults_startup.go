package proofs

// StartupFault is a fault the reference service takes only at start: in
// production it refuses the fault admin endpoint (so the knob must come with
// GENESIS_FAULTS), and a start-up log line cannot be taken back by a
// restore. Each gets a stack of its own, on which only the checks it names
// are judged; the fault matrix judges everything else on its own stacks.
type StartupFault struct {
	Name string
	Does string
	// Env is the reference service's environment beyond the harness's
	// (GENESIS_ENV=production, for example); Faults its GENESIS_FAULTS.
	Env    map[string]string
	Faults string
	// Production declares the target production, as SMOKE_EXPECT_PRODUCTION=1.
	Production bool
	// Fails must FAIL, each for the reason Says names (in what was seen);
	// Passes must PASS: the row's positive controls.
	Fails  []string
	Says   map[string]string
	Passes []string
}

// StartupFaults prove the auth checks against a reference container started
// in production (not a proxy's key check), logs_clean against a log that
// holds a key prefix from the first line on, and the log checks against
// errors and plain lines logged at start-up.
func StartupFaults() []StartupFault {
	// No fault admin endpoint in production: the service refuses to start with one.
	production := map[string]string{"GENESIS_ENV": "production", "GENESIS_FAULT_ADMIN": "0"}
	return []StartupFault{
		{Name: "production_healthy", Does: "positive control: GENESIS_ENV=production, auth on, nothing logged about keys",
			Env: production, Production: true, Passes: []string{invoke401, invoke403, a2aAuthKeyed, logsClean, a2aHealth}},
		{Name: "production_invoke_auth_off", Does: "GENESIS_ENV=production with knob invoke_auth_off: /a2a/invoke takes missing and wrong keys",
			Env: production, Faults: "invoke_auth_off", Production: true, Passes: []string{logsClean, a2aHealth},
			Fails: []string{invoke401, invoke403, a2aAuthKeyed},
			Says:  map[string]string{invoke401: "status 200", invoke403: "status 200", a2aAuthKeyed: "404"}},
		{Name: "key_prefix_logs_at_start", Does: "knob key_prefix_logs from start-up: the log's banner holds the API key's first 8 characters",
			Faults: "key_prefix_logs", Passes: []string{a2aHealth},
			Fails: []string{logsClean}, Says: says("first 8 characters of the API key", logsClean)},
		{Name: "log_faults_at_start", Does: "knobs log_error and log_stray_line from start-up: an ERROR line and a traceback among the first lines, before any check runs (the deploy's window starts with the container)",
			Faults: "log_error,log_stray_line", Passes: []string{a2aHealth},
			Fails: []string{logErrors, obsLogs}, Says: merge(says("lost the connection to the agents' database", logErrors), says("Traceback (most recent call last)", obsLogs))},
	}
}
