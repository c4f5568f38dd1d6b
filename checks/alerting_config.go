package checks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/smokestack-dev/smokestack/harness"
)

// ---- config_valid ---------------------------------------------------------------------

// maxToolOutput bounds the validator output a failure quotes.
const maxToolOutput = 1500

// toolRun is one validator run: what, where, and its answer.
type toolRun struct {
	comp harness.Component
	cmd  []string
}

// FlagValue finds --name=value or --name value in a command line.
func FlagValue(cmd []string, name string) (string, bool) {
	for i, a := range cmd {
		for _, p := range []string{"--" + name, "-" + name} {
			if v, ok := strings.CutPrefix(a, p+"="); ok {
				return v, true
			}
			if a == p && i+1 < len(cmd) {
				return cmd[i+1], true
			}
		}
	}
	return "", false
}

// defaultAlertmanagerConfig is Alertmanager's --config.file default,
// relative to its working directory.
const defaultAlertmanagerConfig = "alertmanager.yml"

// configValid runs the real validators in the components' own containers:
// promtool check config (the configuration file Prometheus was started
// with, and the rule files it names), promtool check rules (every rule file
// Prometheus loaded) and amtool check-config (Alertmanager's
// --config.file). Files on disk are what the next reload or restart loads:
// a broken one does not show in what runs now.
func configValid(ctx context.Context, s *harness.Stack) error {
	if err := absent(s, harness.Prometheus); err != nil {
		return err
	}
	var notJudged []string
	var runs []toolRun
	if s.ContainerName(harness.Prometheus) == "" {
		notJudged = append(notJudged, fmt.Sprintf("promtool: no container of Prometheus is known on this %s target (set %s=prometheus=CONTAINER with DOCKER_HOST at its engine)", s.Mode(), harness.Env.Containers))
	} else {
		prom := s.Prometheus()
		base := s.URL(harness.Prometheus)
		flags, err := prom.Flags(ctx)
		if err != nil {
			return requestFailed("", harness.Prometheus, base+"/api/v1/status/flags", "the configuration file Prometheus runs with (config.file)", "", err)
		}
		cfgFile := flags["config.file"]
		if cfgFile == "" {
			return fail("", harness.Prometheus, base+"/api/v1/status/flags", "a config.file flag", "none", "", nil)
		}
		runs = append(runs, toolRun{harness.Prometheus, []string{"promtool", "check", "config", cfgFile}})
		rules, err := prom.Rules(ctx)
		if err != nil {
			return requestFailed("", harness.Prometheus, base+"/api/v1/rules", "the rule files Prometheus loaded", "", err)
		}
		var files []string
		for _, g := range rules.Groups {
			if g.File != "" && !slices.Contains(files, g.File) {
				files = append(files, g.File)
			}
		}
		sort.Strings(files)
		if len(files) > 0 {
			runs = append(runs, toolRun{harness.Prometheus, append([]string{"promtool", "check", "rules"}, files...)})
		}
	}
	if s.Has(harness.Alertmanager) {
		if s.ContainerName(harness.Alertmanager) == "" {
			notJudged = append(notJudged, fmt.Sprintf("amtool: no container of Alertmanager is known on this %s target (set %s=alertmanager=CONTAINER with DOCKER_HOST at its engine)", s.Mode(), harness.Env.Containers))
		} else {
			cmd, _, err := s.ContainerCommand(ctx, harness.Alertmanager)
			if err != nil {
				return fail("", harness.Docker, harness.DockerHost(), "the Alertmanager container's command line (its --config.file)", "no answer from the engine", "", err)
			}
			cfgFile, ok := FlagValue(cmd[1:], "config.file")
			if !ok {
				cfgFile = defaultAlertmanagerConfig
			}
			runs = append(runs, toolRun{harness.Alertmanager, []string{"amtool", "check-config", cfgFile}})
		}
	}

	// Side by side: each is a docker exec of its own (a few hundred ms), and
	// this check runs in every evaluation of the fault matrix. Judged in
	// order below.
	type ran struct {
		res harness.ExecResult
		err error
	}
	results := make([]ran, len(runs))
	var wg sync.WaitGroup
	for i, r := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// By name, on the container's PATH: /bin in the official images.
			res, err := s.Exec(ctx, r.comp, r.cmd...)
			results[i] = ran{res, err}
		}()
	}
	wg.Wait()
	var problems, outputs, passed []string
	where := harness.Prometheus
	for i, r := range runs {
		res, err := results[i].res, results[i].err
		var missing *harness.ToolMissingError
		var noContainer *harness.NoContainerError
		switch {
		case errors.As(err, &missing), errors.As(err, &noContainer):
			notJudged = append(notJudged, fmt.Sprintf("%s: %v", r.cmd[0], err))
		case err != nil:
			if len(problems) == 0 {
				where = r.comp
			}
			problems = append(problems, fmt.Sprintf("%s could not run in the %s container %s", strings.Join(r.cmd, " "), r.comp.Title(), res.Container))
			outputs = append(outputs, err.Error())
		case res.ExitCode != 0:
			if len(problems) == 0 {
				where = r.comp
			}
			problems = append(problems, fmt.Sprintf("%s exit %d in the %s container %s", strings.Join(r.cmd, " "), res.ExitCode, r.comp.Title(), res.Container))
			outputs = append(outputs, r.cmd[0]+" says: "+clipOutput(res.Output, maxToolOutput))
		default:
			passed = append(passed, strings.Join(r.cmd, " "))
		}
	}
	if len(problems) > 0 {
		ev := fmt.Sprintf("%s\n    passed: %s", strings.Join(outputs, "\n    "), strings.Join(passed, "; "))
		if len(notJudged) > 0 {
			ev += "; not run: " + strings.Join(notJudged, "; ")
		}
		return fail("", where, "docker exec "+s.ContainerName(where)+" (engine "+harness.DockerHost()+")",
			"promtool check config, promtool check rules and amtool check-config to succeed on the files the components run with "+
				"(what their next reload or restart loads)",
			strings.Join(problems, "; "), "", errors.New(ev))
	}
	if len(notJudged) > 0 {
		return CannotJudge("%s", strings.Join(notJudged, "; "))
	}
	return nil
}

// clipOutput shortens s to at most n bytes, saying so.
func clipOutput(s string, n int) string {
	s = strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " | ")), " ")
	if len(s) <= n {
		return s
	}
	return s[:n] + "… (cut)"
}
