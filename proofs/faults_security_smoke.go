package proofs

// securitySmokeFaults prove TestSecuritySmoke with the reference service's
// guard knobs at run time; the staging checks of the same guards fail too.
func securitySmokeFaults() []Fault {
	return []Fault{
		{Name: "injection_guard_off", Does: "knob injection_guard_off: prompt injections are accepted",
			Action: Knob("injection_guard_off"), Fails: []string{injection, ciSecurity, errorCategory, scInjection, errCategorization},
			Says: merge(says("status 200", injection, ciSecurity, errorCategory, scInjection), says("status 200, error absent", errCategorization))},
		{Name: "length_limit_off", Does: "knob length_limit_off: a 5001-character request is accepted",
			Action: Knob("length_limit_off"), Fails: []string{lengthLimit}, Says: says("status 200", lengthLimit)},
		{Name: "code_guard_off", Does: "knob code_guard_off: dangerous code passes validation",
			Action: Knob("code_guard_off"), Fails: []string{codeGuard, scCode}, Says: says("valid true", codeGuard, scCode)},
		{Name: "cycle_check_off", Does: "knob cycle_check_off: AOP accepts a cyclic DAG",
			Action: Knob("cycle_check_off"), Fails: []string{cycleCheck, scCycles, errCategorization},
			Says: merge(says("status 200", cycleCheck, scCycles), says("status 200, error absent", errCategorization))},
	}
}
