package proofs

// decomposing are the checks that judge a decomposition of their own: a
// tampered decomposition fails each of them for its own reason.
var decomposing = []string{flowSimple, decomposition, routing, validation, fullPipeline}

// orchestrating are the checks that need an orchestration route to answer
// (every check that posts to /orchestrate/*): error_rate=1 fails each with
// "status 500", the flags that refuse orchestration with "status 503".
var orchestrating = []string{ciHTDAG, ciHALO, ciAOP, ciErrorHandler, ciSecurity, ciOTEL, runCheck,
	injection, lengthLimit, cycleCheck, errorCategory, flowSimple, decomposition, routing, validation,
	tracesReceived, correlationFollowed,
	errCategorization, breakerDrill, degradationDrill, retryDrill, htdagP95, haloP95, aopP95, fullPipeline, errIntegrated, obsIntegrated,
	scInjection, scRedaction, scCycles, ffDrill}
