package harness

import (
	"bytes"
	"context"
	"fmt"
	"net/http"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// MetricsClient reads a Prometheus text exposition (node-exporter, the
// Genesis /metrics route) and parses it with prometheus/common.
type MetricsClient struct{ Requester }

// Scrape gets path (usually /metrics) and parses the families of a 200;
// Done wants 200. A 200 whose body is not a valid exposition is a decode
// failure with evidence.
func (m MetricsClient) Scrape(ctx context.Context, path string) (*Reply[map[string]*dto.MetricFamily], error) {
	rep, err := send[map[string]*dto.MetricFamily](ctx, m.Requester, call{method: http.MethodGet, path: path, shape: ignored,
		expect: expectation{ok: func(r *Response) bool { return r.Status == http.StatusOK }, want: "status 200 with a Prometheus text exposition"}})
	if err != nil || rep.Resp.Status != http.StatusOK {
		return rep, err
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(rep.Resp.Body))
	if err != nil {
		return rep, rep.Resp.Fail("a valid Prometheus text exposition", fmt.Errorf("parse: %w", err))
	}
	rep.Data = &fams
	return rep, nil
}
