package harness

import (
	"os"
	"path/filepath"
	"sync"
	"time"
)

// go test caches a passing run when the test binary, its flags, and the
// environment variables and files the tests read are unchanged. A network
// check reads none of those, so without this a second `go test ./smoke`
// after the deployment broke would print the first run's PASS, marked
// "(cached)" where nobody looks. For this product that is a false verdict.
//
// The go command refuses to cache a run that opened a file modified less
// than two seconds before the result is stored. So every network call opens
// a stamp file (go test's test log records opens only while tests run, so
// opening it once in TestMain would not count; an open costs microseconds),
// and Main rewrites the stamp as the binary exits. Users type the command
// they always type; no -count=1 is needed.

// stampPath is inside the module of the package under test: the go command
// ignores files outside the module root when it decides about caching. A
// test binary runs in its package's directory; the module root is the
// nearest parent holding go.mod. Add .smokestack/ to .gitignore.
func stampPath() string {
	stampOnce.Do(func() { stampFile = findStampPath() })
	return stampFile
}

var (
	stampOnce sync.Once
	stampFile string
)

func findStampPath() string {
	return filepath.Join(moduleRoot(), ".smokestack", "run-stamp-"+filepath.Base(os.Args[0]))
}

// moduleRoot is the nearest directory at or above the working directory
// that holds go.mod (the working directory itself when there is none).
func moduleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return os.TempDir()
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// noteNetworkInput records that the running test read from the network.
func noteNetworkInput() {
	f, err := os.Open(stampPath())
	if err != nil {
		touchStamp()
		f, err = os.Open(stampPath())
	}
	if err == nil {
		f.Close()
	}
}

// touchStamp writes the stamp file with the current time.
func touchStamp() {
	p := stampPath()
	_ = os.MkdirAll(filepath.Dir(p), 0o755)
	_ = os.WriteFile(p, []byte(time.Now().Format(time.RFC3339Nano)), 0o644)
}
