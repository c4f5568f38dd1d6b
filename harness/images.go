package harness

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"
)

// LocalImages are the monitoring images `make setup` builds from Debian's
// packages, for machines whose engine cannot reach a registry.
var LocalImages = map[Component]string{
	Prometheus:   "smokestack/prometheus:local",
	Alertmanager: "smokestack/alertmanager:local",
	NodeExporter: "smokestack/node-exporter:local",
	// Built from the Go module proxy's jaeger v1.76.0 (scripts/images-local.sh).
	Jaeger: "smokestack/jaeger:local",
}

// imageSlot is where a component's image lives in Images, with its default
// and the variable that sets it.
func (im *Images) slot(c Component) (img *string, def, envVar string) {
	switch c {
	case Prometheus:
		return &im.Prometheus, DefaultPrometheusImage, Env.PrometheusImage
	case Alertmanager:
		return &im.Alertmanager, DefaultAlertmanagerImage, Env.AlertmanagerImage
	case NodeExporter:
		return &im.NodeExporter, DefaultNodeExporterImage, Env.NodeExporterImage
	case Grafana:
		return &im.Grafana, DefaultGrafanaImage, Env.GrafanaImage
	case Jaeger:
		return &im.Jaeger, DefaultJaegerImage, Env.JaegerImage
	}
	return nil, "", ""
}

// preferLocalImages lets plain `go test ./smoke -tags critical` run on a
// machine without a registry once `make setup` has built the local images:
// a component left on its default registry image that this engine does not
// hold, where the local image is present, gets the local one, and the
// switch is said. An image the user named is never replaced.
func preferLocalImages(ctx context.Context, cli *client.Client, im *Images, logf func(string, ...any)) {
	for _, c := range []Component{Prometheus, Alertmanager, NodeExporter, Jaeger} {
		img, def, envVar := im.slot(c)
		if *img != def || present(ctx, cli, def) || !present(ctx, cli, LocalImages[c]) {
			continue
		}
		*img = LocalImages[c]
		logf("%s: %s is not on this engine; using %s, built by make setup (set %s to choose)", c, def, LocalImages[c], envVar)
	}
}

func present(ctx context.Context, cli *client.Client, ref string) bool {
	_, err := cli.ImageInspect(ctx, ref)
	return err == nil
}

// pullHint is added to a container start failure whose image is not on the
// engine: on these machines that means no registry, and the fix is local.
func pullHint(ctx context.Context, cli *client.Client, c Component, image string) string {
	if cli == nil || present(ctx, cli, image) {
		return ""
	}
	_, _, envVar := (&Images{}).slot(c)
	hint := fmt.Sprintf("; %s is not on this engine and could not be had from a registry", image)
	switch {
	case c == Jaeger:
		hint += fmt.Sprintf(": run `make setup` (it builds %s, which the default image then falls back to), set %s to an image this engine holds, or %s=%s to run without a trace backend (the trace checks then say NOT APPLICABLE)",
			LocalImages[c], envVar, envVar, DisabledImage)
	case LocalImages[c] != "":
		hint += fmt.Sprintf(": run `make setup` (it builds %s, which the default image then falls back to) or set %s", LocalImages[c], envVar)
	case c == Grafana:
		hint += fmt.Sprintf(": set %s to an image this engine holds, or %s=%s to run without Grafana (its checks then say NOT APPLICABLE)", envVar, envVar, DisabledImage)
	case envVar != "":
		hint += fmt.Sprintf(": set %s to an image this engine holds", envVar)
	}
	return hint
}
