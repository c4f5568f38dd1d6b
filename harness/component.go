package harness

import (
	"fmt"
	"slices"
)

// Component names one service of the deployment. The set is closed: a check
// that names a component outside it is a programming error caught by tests.
type Component string

// The components of a Genesis deployment, as the checklist names them.
const (
	Genesis      Component = "genesis"
	Prometheus   Component = "prometheus"
	Alertmanager Component = "alertmanager"
	NodeExporter Component = "node-exporter"
	Grafana      Component = "grafana"
	// LLMPlanner is the LLM planner upstream HTDAG asks first. Ephemeral
	// stacks run the reference one (`genesis planner`) so that checks can
	// take it down and watch the service degrade instead of failing.
	LLMPlanner Component = "llm-planner"
	// Jaeger is the trace backend the service's OTLP exporter delivers to;
	// the suite reads traces back through its query API. Ephemeral stacks
	// run one unless SMOKE_JAEGER_IMAGE=none; live: SMOKE_JAEGER_URL.
	Jaeger Component = "jaeger"
)

// Docker is the engine that runs the monitoring containers: not a
// component of the deployment, but what the containers check talks to.
const Docker Component = "docker"

// AlertSink is the webhook receiver an ephemeral stack runs for
// Alertmanager to notify (`genesis alertsink`, network alias
// smokestack-sink): where the alerting pipeline ends, and what
// TestAlerting/alert_delivered reads. Like Docker it is not a component of
// the deployment: a live target has none, its receivers are its own.
const AlertSink Component = "alert-sink"

// Components lists every component in the order reports show them.
var Components = []Component{Genesis, Prometheus, Alertmanager, NodeExporter, Grafana, LLMPlanner, Jaeger}

// Monitoring lists the four monitoring containers the checklist expects "Up".
var Monitoring = []Component{Prometheus, Grafana, NodeExporter, Alertmanager}

// Title is how failure messages name the component for a person on call.
func (c Component) Title() string {
	switch c {
	case Genesis:
		return "A2A service (genesis)"
	case Prometheus:
		return "Prometheus"
	case Alertmanager:
		return "Alertmanager"
	case NodeExporter:
		return "node-exporter"
	case Grafana:
		return "Grafana"
	case LLMPlanner:
		return "LLM planner upstream"
	case Jaeger:
		return "Jaeger (trace backend)"
	case Docker:
		return "Docker engine"
	case AlertSink:
		return "alert webhook sink"
	}
	return fmt.Sprintf("unknown component %q", string(c))
}

// Valid reports whether c is one of Components.
func (c Component) Valid() bool {
	return slices.Contains(Components, c)
}

// URLVar is the live-mode variable that gives the component's URL.
func (c Component) URLVar() string {
	return map[Component]string{Genesis: Env.A2AURL, Prometheus: Env.PrometheusURL, Alertmanager: Env.AlertmanagerURL,
		NodeExporter: Env.NodeExporterURL, Grafana: Env.GrafanaURL, LLMPlanner: Env.LLMURL, Jaeger: Env.JaegerURL}[c]
}
