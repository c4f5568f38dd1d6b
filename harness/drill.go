package harness

import (
	"context"
	"strings"
)

// DrillCorrelationPrefix starts the X-Correlation-Id of every request to
// Genesis that a drill sends: a check that changes the target on purpose
// (a flag write that refuses orchestration, an upstream taken down). The
// service logs the correlation id on every line of the request, so a log
// check tells the errors a drill provoked on purpose from the service's own.
const DrillCorrelationPrefix = "smokestack-drill-"

type drillKey struct{}

// WithDrill marks ctx as a drill's: the requests to Genesis sent with it
// carry X-Correlation-Id "smokestack-drill-NAME-RANDOM" unless they set one
// themselves. checks.Evaluate marks every mutating check this way.
func WithDrill(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, drillKey{}, DrillCorrelationPrefix+name+"-"+randomHex(4))
}

// drillCorrelation is the correlation id WithDrill put in ctx ("" if none).
func drillCorrelation(ctx context.Context) string {
	id, _ := ctx.Value(drillKey{}).(string)
	return id
}

// IsDrillCorrelation says whether a correlation id is a drill's.
func IsDrillCorrelation(id string) bool { return strings.HasPrefix(id, DrillCorrelationPrefix) }
