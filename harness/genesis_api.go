package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"
)

// This file holds the typed GenesisClient methods for contract parts A
// (A2A catalogue, invoke), B (orchestration: decompose, route) and C
// (validate, run, flags, security, resilience). Every method returns a
// Reply carrying the full Response, so a check can quote status and body as
// evidence, and an *HTTPError for transport failures and bodies that do
// not decode only: a status the check does not want is the check's to
// judge (Done, for the ones that need the request to have done its job).
//
// Decoding is strict about types (a string where the contract has a number
// is an error naming the field) and lenient about extra fields (a newer
// service may add some). Pointer fields tell "absent" from "zero": checks
// judge absence themselves, with the contract's words.

// ---- part B and C envelope -------------------------------------------------

// Metadata is the `metadata` object of a B/C success body.
type Metadata struct {
	RequestID       string   `json:"request_id"`
	Timestamp       string   `json:"timestamp"`
	ExecutionTimeMS *float64 `json:"execution_time_ms"`
	TraceID         string   `json:"trace_id,omitempty"`
}

// APIError is the `error` object of a B/C error body.
type APIError struct {
	Code      string         `json:"code"`
	Message   string         `json:"message"`
	Hint      string         `json:"hint,omitempty"`
	Details   map[string]any `json:"details,omitempty"`
	RequestID string         `json:"request_id"`
	Timestamp string         `json:"timestamp"`
}

// Category is details.category ("" when absent or not a string).
func (e *APIError) Category() string {
	if e == nil {
		return ""
	}
	s, _ := e.Details["category"].(string)
	return s
}

// NewIdempotencyKey is a fresh X-Idempotency-Key (a random uuid).
func NewIdempotencyKey() string { return uuid.NewString() }

// OrchestrationHeaders are the request headers the contract's part B wants:
// a fresh idempotency key per request and the schema version.
func OrchestrationHeaders() http.Header {
	h := http.Header{}
	h.Set("X-Idempotency-Key", NewIdempotencyKey())
	h.Set("X-Schema-Version", "v1.0.0")
	return h
}

// PostEnvelope posts body (marshalled to JSON unless it is already []byte)
// to path with header (OrchestrationHeaders when nil) and decodes the
// contract's envelope into a Reply. A 2xx without a `data` object is a
// decode failure; a non-2xx is returned as a Reply for the caller to judge
// (Done wants a 2xx).
func PostEnvelope[T any](ctx context.Context, g GenesisClient, path string, body any, header http.Header) (*Reply[T], error) {
	if header == nil {
		header = OrchestrationHeaders()
	}
	if body == nil {
		body = []byte("null") // what encoding nil sends
	}
	return send[T](ctx, g.Requester, call{method: http.MethodPost, path: path, body: body, header: header, shape: enveloped})
}

// ---- B: decompose (HTDAG) and route (HALO) ---------------------------------

// DecomposeRequest is the body of POST /orchestrate/decompose and /orchestrate/run.
type DecomposeRequest struct {
	UserRequest string        `json:"user_request"`
	Context     *DecomposeCtx `json:"context,omitempty"`
}

// DecomposeCtx is the request's `context`.
type DecomposeCtx struct {
	Domain      string       `json:"domain,omitempty"`
	Constraints *Constraints `json:"constraints,omitempty"`
}

// Constraints bound a decomposition.
type Constraints struct {
	MaxDepth int    `json:"max_depth,omitempty"`
	MaxTasks int    `json:"max_tasks,omitempty"`
	Priority string `json:"priority,omitempty"`
}

// Task is one node of a decomposed DAG.
type Task struct {
	TaskID              string          `json:"task_id"`
	Description         string          `json:"description"`
	TaskType            string          `json:"task_type"`
	Status              string          `json:"status,omitempty"`
	Priority            *float64        `json:"priority"`
	EstimatedComplexity json.RawMessage `json:"estimated_complexity,omitempty"`
	RequiredSkills      []string        `json:"required_skills,omitempty"`
}

// DecompositionMetadata is data.decomposition_metadata.
type DecompositionMetadata struct {
	Method         string `json:"method"`
	RecursionDepth *int   `json:"recursion_depth"`
	TotalTasks     *int   `json:"total_tasks"`
}

// Decomposition is the data of POST /orchestrate/decompose: a task DAG.
type Decomposition struct {
	DagID        string                 `json:"dag_id"`
	Tasks        []Task                 `json:"tasks"`
	Dependencies map[string][]string    `json:"dependencies"`
	RootTasks    []string               `json:"root_tasks"`
	LeafTasks    []string               `json:"leaf_tasks"`
	Metadata     *DecompositionMetadata `json:"decomposition_metadata"`
}

// TaskTypes are the contract's task types.
var TaskTypes = []string{"design", "implement", "test", "deploy", "marketing", "support", "analytics", "security"}

// DecompositionMethods are the contract's decomposition_metadata.method values.
var DecompositionMethods = []string{"llm", "heuristic", "testtime_compute"}

// Decompose is POST /orchestrate/decompose (HTDAG).
func (g GenesisClient) Decompose(ctx context.Context, req DecomposeRequest) (*Reply[Decomposition], error) {
	return PostEnvelope[Decomposition](ctx, g, "/orchestrate/decompose", req, nil)
}

// RouteTask is one task of a routing request.
type RouteTask struct {
	TaskID         string   `json:"task_id"`
	Description    string   `json:"description"`
	TaskType       string   `json:"task_type"`
	RequiredSkills []string `json:"required_skills,omitempty"`
}

// RouteRequest is the body of POST /orchestrate/route.
type RouteRequest struct {
	DagID               string      `json:"dag_id,omitempty"`
	Tasks               []RouteTask `json:"tasks"`
	MaxWorkloadPerAgent int         `json:"max_workload_per_agent,omitempty"`
}

// RouteRequestFor builds the routing request for a decomposition.
func RouteRequestFor(d *Decomposition) RouteRequest {
	r := RouteRequest{DagID: d.DagID}
	for _, t := range d.Tasks {
		r.Tasks = append(r.Tasks, RouteTask{TaskID: t.TaskID, Description: t.Description, TaskType: t.TaskType, RequiredSkills: t.RequiredSkills})
	}
	return r
}

// RoutingPlan is data.routing_plan.
type RoutingPlan struct {
	IsComplete      *bool             `json:"is_complete"`
	Assignments     map[string]string `json:"assignments"`
	Explanations    map[string]string `json:"explanations"`
	UnassignedTasks []string          `json:"unassigned_tasks"`
	Workload        map[string]int    `json:"workload"`
	RoutingMetadata *RoutingMetadata  `json:"routing_metadata,omitempty"`
}

// RoutingMetadata is routing_plan.routing_metadata.
type RoutingMetadata struct {
	RulesApplied json.RawMessage `json:"rules_applied,omitempty"`
	RulesMatched json.RawMessage `json:"rules_matched,omitempty"`
	FallbackUsed *bool           `json:"fallback_used,omitempty"`
}

// Routing is the data of POST /orchestrate/route (HALO).
type Routing struct {
	DagID       string       `json:"dag_id,omitempty"`
	RoutingPlan *RoutingPlan `json:"routing_plan"`
}

// Route is POST /orchestrate/route (HALO).
func (g GenesisClient) Route(ctx context.Context, req RouteRequest) (*Reply[Routing], error) {
	return PostEnvelope[Routing](ctx, g, "/orchestrate/route", req, nil)
}

// ---- C: validate (AOP), run --------------------------------------------------

// PlanValidation is the data of POST /orchestrate/validate (AOP).
type PlanValidation struct {
	IsValid            *bool    `json:"is_valid"`
	SolvabilityPassed  *bool    `json:"solvability_passed"`
	CompletenessPassed *bool    `json:"completeness_passed"`
	RedundancyPassed   *bool    `json:"redundancy_passed"`
	QualityScore       *float64 `json:"quality_score"`
	Issues             []any    `json:"issues"`
	Warnings           []any    `json:"warnings"`
}

// ValidateRequest is the body of POST /orchestrate/validate.
type ValidateRequest struct {
	DAG         any `json:"dag"`
	RoutingPlan any `json:"routing_plan"`
}

// ValidatePlan is POST /orchestrate/validate (AOP).
func (g GenesisClient) ValidatePlan(ctx context.Context, req ValidateRequest) (*Reply[PlanValidation], error) {
	return PostEnvelope[PlanValidation](ctx, g, "/orchestrate/validate", req, nil)
}

// Run is the data of POST /orchestrate/run: the whole pipeline.
type Run struct {
	DAG        *Decomposition  `json:"dag"`
	Routing    json.RawMessage `json:"routing"`
	Validation *PlanValidation `json:"validation"`
	Results    json.RawMessage `json:"results"`
	Status     string          `json:"status"`
}

// RoutingPlan decodes Run.Routing, which is either a Routing (with a
// routing_plan object) or the routing plan itself.
func (r *Run) RoutingPlan() (*RoutingPlan, error) {
	if len(r.Routing) == 0 || string(r.Routing) == "null" {
		return nil, fmt.Errorf("no routing object")
	}
	var wrapped Routing
	if err := json.Unmarshal(r.Routing, &wrapped); err != nil {
		return nil, fmt.Errorf("routing: %w", err)
	}
	if wrapped.RoutingPlan != nil {
		return wrapped.RoutingPlan, nil
	}
	var plan RoutingPlan
	if err := json.Unmarshal(r.Routing, &plan); err != nil {
		return nil, fmt.Errorf("routing: %w", err)
	}
	return &plan, nil
}

// TaskResult is one task's entry in Run.Results.
type TaskResult struct {
	TaskID string `json:"task_id"`
	Agent  string `json:"agent"`
	Status string `json:"status"`
}

// TaskResults decodes Run.Results, which is an object keyed by task id or a
// list of objects carrying task_id.
func (r *Run) TaskResults() (map[string]TaskResult, error) {
	out := map[string]TaskResult{}
	raw := bytes.TrimSpace(r.Results)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return nil, fmt.Errorf("no results")
	case raw[0] == '{':
		var m map[string]TaskResult
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("results: %w", err)
		}
		for id, tr := range m {
			if tr.TaskID == "" {
				tr.TaskID = id
			}
			out[id] = tr
		}
	case raw[0] == '[':
		var l []TaskResult
		if err := json.Unmarshal(raw, &l); err != nil {
			return nil, fmt.Errorf("results: %w", err)
		}
		for _, tr := range l {
			out[tr.TaskID] = tr
		}
	default:
		return nil, fmt.Errorf("results: want an object or a list, got %.40s", raw)
	}
	return out, nil
}

// Run is POST /orchestrate/run.
func (g GenesisClient) Run(ctx context.Context, req DecomposeRequest) (*Reply[Run], error) {
	return PostEnvelope[Run](ctx, g, "/orchestrate/run", req, nil)
}

// ---- C: security, flags, resilience ---------------------------------------------

// CodeValidation is the data of POST /security/validate-code.
type CodeValidation struct {
	Valid  *bool  `json:"valid"`
	Reason string `json:"reason"`
}

// ValidateCode is POST /security/validate-code.
func (g GenesisClient) ValidateCode(ctx context.Context, code, language string) (*Reply[CodeValidation], error) {
	return PostEnvelope[CodeValidation](ctx, g, "/security/validate-code",
		map[string]string{"code": code, "language": language}, http.Header{})
}

// BreakerState is one circuit breaker in GET /resilience.
type BreakerState struct {
	State    string `json:"state"`
	Failures *int   `json:"failures"`
	Trips    *int   `json:"trips"`
}

// BreakerStates are the contract's circuit breaker states.
var BreakerStates = []string{"CLOSED", "OPEN", "HALF_OPEN"}

// Resilience is GET /resilience.
type Resilience struct {
	CircuitBreakers map[string]BreakerState `json:"circuit_breakers"`
	Retries         map[string]json.Number  `json:"retries"`
	Degradations    map[string]json.Number  `json:"degradations"`
}

// Resilience is GET /resilience (bare or in the data envelope); Done
// wants 200.
func (g GenesisClient) Resilience(ctx context.Context) (*Reply[Resilience], error) {
	return send[Resilience](ctx, g.Requester, call{method: http.MethodGet, path: "/resilience", shape: lenient,
		decodeOn: onStatus(http.StatusOK), shapeWant: "circuit_breakers {name: {state, failures, trips}}",
		expect: wantStatus(http.StatusOK)})
}

// ---- A: catalogue and invoke ------------------------------------------------------

// Agents is GET /a2a/agents.
type Agents struct {
	TotalRegistered  *int     `json:"total_registered"`
	TotalLoaded      *int     `json:"total_loaded"`
	RegisteredAgents []string `json:"registered_agents"`
	LoadedAgents     []string `json:"loaded_agents"`
	LazyLoading      *bool    `json:"lazy_loading"`
}

// Agents is GET /a2a/agents; Done wants 200.
func (g GenesisClient) Agents(ctx context.Context) (*Reply[Agents], error) {
	return send[Agents](ctx, g.Requester, a2aGet("/a2a/agents"))
}

// a2aGet is a GET of a part A route: a bare object, answered with 200.
func a2aGet(path string) call {
	return call{method: http.MethodGet, path: path, shape: bare, decodeOn: onStatus(http.StatusOK), expect: wantStatus(http.StatusOK)}
}

// CardTool is one tool of GET /a2a/card.
type CardTool struct {
	Agent       string `json:"agent"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

// Card is GET /a2a/card, the service's A2A card.
type Card struct {
	Name        string     `json:"name"`
	Version     string     `json:"version"`
	Description string     `json:"description"`
	Protocol    string     `json:"protocol"`
	TotalTools  *int       `json:"total_tools"`
	LazyLoading *bool      `json:"lazy_loading"`
	Tools       []CardTool `json:"tools"`
}

// Card is GET /a2a/card; Done wants 200.
func (g GenesisClient) Card(ctx context.Context) (*Reply[Card], error) {
	return send[Card](ctx, g.Requester, a2aGet("/a2a/card"))
}

// AgentCard is GET /a2a/agents/{name}/card. Capabilities and skills are
// lists whose items may be strings or objects, so they stay raw.
type AgentCard struct {
	Name               string            `json:"name"`
	Version            string            `json:"version"`
	Description        string            `json:"description"`
	Capabilities       []json.RawMessage `json:"capabilities"`
	Skills             []json.RawMessage `json:"skills"`
	DefaultInputModes  []string          `json:"defaultInputModes"`
	DefaultOutputModes []string          `json:"defaultOutputModes"`
}

// Detail is the {"detail": ...} body of an A2A error (FastAPI's shape).
// Detail stays raw: it is a string or a structured object.
type Detail struct {
	Detail json.RawMessage `json:"detail"`
}

// Text is the detail as text: the string itself, or its JSON.
func (d Detail) Text() string {
	var s string
	if json.Unmarshal(d.Detail, &s) == nil {
		return s
	}
	return string(d.Detail)
}

// AgentCard is GET /a2a/agents/{name}/card. A 200 is decoded into the
// card; any other status is returned with Data nil for the caller to judge.
func (g GenesisClient) AgentCard(ctx context.Context, name string) (*Reply[AgentCard], error) {
	return send[AgentCard](ctx, g.Requester, a2aGet("/a2a/agents/"+url.PathEscape(name)+"/card"))
}

// InvokeRequest is the body of POST /a2a/invoke.
type InvokeRequest struct {
	Tool      string         `json:"tool"`
	Arguments map[string]any `json:"arguments"`
}

// Invocation is a 200 answer of POST /a2a/invoke.
type Invocation struct {
	Result json.RawMessage `json:"result"`
}

// Invoke posts body (an InvokeRequest, or raw bytes for a malformed one) to
// /a2a/invoke. The answer comes back whatever its status; a 200 is decoded
// (a 200 whose body is not JSON is a decode failure).
func (g GenesisClient) Invoke(ctx context.Context, body any) (*Reply[Invocation], error) {
	return send[Invocation](ctx, g.Requester, call{method: http.MethodPost, path: "/a2a/invoke", body: body, shape: bare,
		decodeOn: onStatus(http.StatusOK), expect: wantStatus(http.StatusOK)})
}

// WithAPIKey returns a copy of the client that sends key as X-API-Key
// ("" sends no key at all): for the auth checks.
func (g GenesisClient) WithAPIKey(key string) GenesisClient {
	h := g.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Del("X-API-Key")
	if key != "" {
		h.Set("X-API-Key", key)
	}
	g.Requester.Header = h
	return g
}

// DecodeDetail reads a {"detail": ...} body; ok is false when the body has
// no detail.
func DecodeDetail(resp *Response) (Detail, bool) {
	var d Detail
	if resp == nil || json.Unmarshal(resp.Body, &d) != nil || len(d.Detail) == 0 || string(d.Detail) == "null" {
		return d, false
	}
	return d, strings.TrimSpace(d.Text()) != ""
}

// Field is one top-level field of a JSON object as sent (nil when absent).
func Field(obj json.RawMessage, name string) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(obj, &m) != nil {
		return nil
	}
	return m[name]
}

// Environment reads the `environment` the service declares in /health
// ("" when it declares none; the real service does not), whatever the
// status.
func (g GenesisClient) Environment(ctx context.Context) (*Reply[Environment], error) {
	return send[Environment](ctx, g.Requester, call{method: http.MethodGet, path: "/health", shape: bare, decodeOn: anyStatus})
}

// Environment is the `environment` of /health.
type Environment struct {
	Environment string `json:"environment"`
}

// ResilienceSettings is the optional `config` object of GET /resilience:
// the breaker and retry parameters the service runs with. Pointer fields
// are nil when the service does not report them.
type ResilienceSettings struct {
	FailureThreshold   *int     `json:"failure_threshold"`
	OpenTimeoutSeconds *float64 `json:"open_timeout_seconds"`
	SuccessThreshold   *int     `json:"success_threshold"`
	MaxRetries         *int     `json:"max_retries"`
}

// ResilienceSettingsOf reads `config` from a GET /resilience answer (bare
// or in the data envelope); a zero ResilienceSettings when absent.
func ResilienceSettingsOf(resp *Response) ResilienceSettings {
	var out ResilienceSettings
	if resp == nil {
		return out
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(resp.Body, &probe) != nil {
		return out
	}
	if json.Unmarshal(unwrapData(resp.Body, probe), &probe) != nil {
		return out
	}
	if c, ok := probe["config"]; ok {
		_ = json.Unmarshal(c, &out)
	}
	return out
}
