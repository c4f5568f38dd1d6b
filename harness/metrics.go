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

// Scrape gets path (usually /metrics), wants 200, and parses the families.
// A body that is not a valid exposition is an error with evidence.
func (m MetricsClient) Scrape(ctx context.Context, path string) (map[string]*dto.MetricFamily, *Response, error) {
	resp, err := m.Get(ctx, path)
	if err != nil {
		return nil, resp, err
	}
	if resp.Status != http.StatusOK {
		return nil, resp, resp.Fail("status 200 with a Prometheus text exposition", nil)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(resp.Body))
	if err != nil {
		return nil, resp, resp.Fail("a valid Prometheus text exposition", fmt.Errorf("parse: %w", err))
	}
	return fams, resp, nil
}
