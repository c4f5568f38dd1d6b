package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

var versionCommand = &command{
	name:    "version",
	args:    "",
	short:   "print the module version and the Go version it was built with",
	long:    `Prints the module version (from the build information; "(devel)" for a build from a checkout), the Go version and platform, and the commit when the build recorded it. Attach it to a bug report.`,
	exits:   "0   2 usage",
	example: "smokestack version",
	run:     versionMain,
}

func versionMain(c *command, args []string, std stdio) int {
	pos, code, done := c.parse(c.flagSet(), args, std)
	if done {
		return code
	}
	if !c.none(std, pos) {
		return 2
	}
	fmt.Fprint(std.out, versionText(debug.ReadBuildInfo()))
	return 0
}

// versionText is what smokestack version prints: a build without module
// information (go run from a checkout, a test binary) is "(devel)".
func versionText(info *debug.BuildInfo, ok bool) string {
	version, module := "(devel)", "github.com/smokestack-dev/smokestack"
	var revision, modified string
	if ok && info != nil {
		if info.Main.Version != "" {
			version = info.Main.Version
		}
		if info.Main.Path != "" {
			module = info.Main.Path
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					modified = " (modified)"
				}
			}
		}
	}
	out := fmt.Sprintf("smokestack %s %s %s %s/%s\n", module, version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if revision != "" {
		out += fmt.Sprintf("commit %s%s\n", revision, modified)
	}
	return out
}
