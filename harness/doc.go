// Package harness gives smoke checks one view of a Genesis deployment and its
// monitoring stack, whether the stack was started for this run (ephemeral
// mode, under testcontainers-go) or already runs somewhere (live mode, by URL).
//
// Checks never branch on the mode. They ask the Stack what it has
// (Has(Grafana), CanMutate()) and talk to components through typed clients
// whose every call carries a deadline and returns evidence (URL, status, the
// first bytes of the body) on failure, so that a failed check can be acted on
// without reading its code.
//
// The harness never fails a test. Every client call that does its own HTTP
// has one contract: it returns a *Reply (the Response as read, the decoded
// object, the contract's envelope metadata or error) and an error that
// means only that no answer arrived or that the answer does not decode. A
// status the caller does not want is not an error: the check judges it,
// with the evidence in Reply.Resp. A caller that needs the request to have
// done its job wraps the call in Done, which turns an answer the endpoint
// does not give a done request into an *HTTPError with that evidence. The
// calls that wrap client_golang's typed Prometheus API keep its typed
// results under the same contract (an API error is client_golang's
// *v1.Error, wrapped with the request's URL). A proof can observe a failure
// without failing itself; checks.Require is the one place where a check's
// error becomes a test failure (or a skip, for NOT APPLICABLE and NOT
// JUDGED).
package harness
