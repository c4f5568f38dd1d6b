package proofs

// Check IDs the fault rows name, in one place and in the registry's order
// (checks.Registry). Named once, a typo is a compile error, not a row that
// proves nothing; TestEveryCheckHasAFault rejects an ID the registry does not
// hold, and staticcheck one that no row names.
const (
	// TestInfrastructure
	a2aHealth        = "TestInfrastructure/a2a_health"
	prometheusHealth = "TestInfrastructure/prometheus_health"
	grafanaHealth    = "TestInfrastructure/grafana_health"
	alertmanagerOK   = "TestInfrastructure/alertmanager_health"
	nodeExporterOK   = "TestInfrastructure/node_exporter_metrics"
	containersUp     = "TestInfrastructure/containers_up"
	metricsVisible   = "TestInfrastructure/metrics_visible"

	// TestComponentInitialization
	ciHTDAG        = "TestComponentInitialization/htdag"
	ciHALO         = "TestComponentInitialization/halo"
	ciAOP          = "TestComponentInitialization/aop"
	ciErrorHandler = "TestComponentInitialization/error_handler"
	ciSecurity     = "TestComponentInitialization/security"
	ciFlags        = "TestComponentInitialization/feature_flags"
	ciOTEL         = "TestComponentInitialization/otel"

	// TestBasicOrchestration
	flowSimple    = "TestBasicOrchestration/simple_orchestration_flow"
	decomposition = "TestBasicOrchestration/task_decomposition"
	routing       = "TestBasicOrchestration/task_routing"
	validation    = "TestBasicOrchestration/plan_validation"
	runCheck      = "TestBasicOrchestration/orchestration_run"

	// TestAgentCatalogue
	a2aVersion    = "TestAgentCatalogue/a2a_version"
	agentsList    = "TestAgentCatalogue/registered_agents"
	a2aCard       = "TestAgentCatalogue/a2a_card"
	agentCards    = "TestAgentCatalogue/agent_cards_complete"
	unknownAgent  = "TestAgentCatalogue/unknown_agent_404"
	a2aConsistent = "TestAgentCatalogue/catalogue_consistent"
	a2aLoadable   = "TestAgentCatalogue/agents_loadable"

	// TestAgentInvoke
	invokeOK       = "TestAgentInvoke/harmless_invoke"
	invokeUnknown  = "TestAgentInvoke/unknown_tool_404"
	invokeBadBody  = "TestAgentInvoke/malformed_body_422"
	invoke401      = "TestAgentInvoke/missing_key_401"
	invoke403      = "TestAgentInvoke/wrong_key_403"
	a2aAuthKeyed   = "TestAgentInvoke/auth_enforced_when_keyed"
	a2aCleanErrors = "TestAgentInvoke/error_bodies_clean"

	// TestSecuritySmoke
	injection   = "TestSecuritySmoke/prompt_injection_rejected"
	lengthLimit = "TestSecuritySmoke/request_length_limited"
	codeGuard   = "TestSecuritySmoke/dangerous_code_rejected"
	cycleCheck  = "TestSecuritySmoke/cycle_rejected"

	// TestErrorHandlingSmoke
	errorCategory = "TestErrorHandlingSmoke/error_envelope_category"

	// TestObservabilitySmoke
	metricsExposed   = "TestObservabilitySmoke/genesis_metrics_exposed"
	prometheusScrape = "TestObservabilitySmoke/prometheus_scrapes_genesis"

	// TestFeatureFlags
	ffCritical = "TestFeatureFlags/critical_flags_enabled"
	ffSafety   = "TestFeatureFlags/safety_flags_off"
	ffPhase4   = "TestFeatureFlags/phase4_rollout"
	ffDrill    = "TestFeatureFlags/emergency_shutdown_drill"

	// TestSecurityControls
	scInjection = "TestSecurityControls/prompt_injection"
	scRedaction = "TestSecurityControls/credential_redaction"
	scCycles    = "TestSecurityControls/dag_cycle_detection"
	scCode      = "TestSecurityControls/code_validation"
	logsClean   = "TestSecurityControls/logs_clean"

	// TestErrorHandling
	errCategorization = "TestErrorHandling/error_categorization"
	breakerDrill      = "TestErrorHandling/circuit_breaker"
	degradationDrill  = "TestErrorHandling/graceful_degradation"
	retryDrill        = "TestErrorHandling/retry"

	// TestPerformanceBaseline
	htdagP95        = "TestPerformanceBaseline/htdag_p95"
	haloP95         = "TestPerformanceBaseline/halo_p95"
	aopP95          = "TestPerformanceBaseline/aop_p95"
	systemResources = "TestPerformanceBaseline/system_resources"
	healthP95       = "TestPerformanceBaseline/health_p95"

	// TestComponentIntegration
	fullPipeline  = "TestComponentIntegration/full_pipeline"
	errIntegrated = "TestComponentIntegration/error_handling_integrated"
	obsIntegrated = "TestComponentIntegration/observability_integrated"
	logErrors     = "TestComponentIntegration/no_critical_errors_in_logs"

	// TestObservability
	obsMetrics          = "TestObservability/metrics_scraped"
	obsLogs             = "TestObservability/structured_logs"
	tracesReceived      = "TestObservability/traces_received"
	correlationFollowed = "TestObservability/correlation_followed"

	// TestAlerting
	alRulesHealthy = "TestAlerting/rules_healthy"
	alRuleSeries   = "TestAlerting/rule_series_exist"
	alAMConnected  = "TestAlerting/alertmanager_connected"
	alDelivered    = "TestAlerting/alert_delivered"
	alConfigValid  = "TestAlerting/config_valid"

	// TestDashboards
	dashQueries     = "TestDashboards/dashboard_queries_answer"
	dashDatasource  = "TestDashboards/datasource_healthy"
	dashProvisioned = "TestDashboards/dashboard_provisioned"
	dashPanels      = "TestDashboards/panels_via_grafana"

	// TestSuccessMetrics
	smErrorRate   = "TestSuccessMetrics/error_rate"
	smTrips       = "TestSuccessMetrics/breaker_trips"
	smRetries     = "TestSuccessMetrics/retry_success"
	smIngestion   = "TestSuccessMetrics/metrics_ingestion"
	smTraces      = "TestSuccessMetrics/traces_generated"
	smLogs        = "TestSuccessMetrics/structured_logs"
	smHTDAG       = "TestSuccessMetrics/htdag_p95"
	smHALO        = "TestSuccessMetrics/halo_p95"
	smAOP         = "TestSuccessMetrics/aop_p95"
	smPhase4Today = "TestSuccessMetrics/phase4_rollout_today"
)
