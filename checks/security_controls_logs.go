package checks

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/smokestack-dev/smokestack/harness"
)

// lineLogsClean is the checklist's redaction line, for the service's own
// secrets: the real service logs the first 8 characters of its API key and
// of every key a client sends.
const lineLogsClean = "Security Validation: credential redaction working — no configured key, nor a prefix of one (8 characters or more), in the service's log"

// keyPrefixLen is the shortest key prefix that counts as a leak: the real
// service prints 8 characters, and fewer are as likely to be chance.
const keyPrefixLen = 8

// logsCleanWait bounds how long the check reads the log again for what its
// own request may have printed, when the log does not show that request
// (its correlation id) sooner; logsCleanPoll is the pause between reads;
// logsCleanSettle is how long after the answer a read must begin to end on
// the request's id.
const (
	logsCleanWait   = 2 * time.Second
	logsCleanPoll   = 200 * time.Millisecond
	logsCleanSettle = 300 * time.Millisecond
)

var checkLogsClean = Check{Group: securityGroup, Name: "logs_clean", Component: harness.Genesis, Part: harness.PartA,
	Line: lineLogsClean, Run: probed(logsClean)}

// logKey is one key the service's log must not show, even in part.
type logKey struct{ what, value string }

// prefix is the part of the key whose presence is a leak.
func (k logKey) prefix() string { return k.value[:min(keyPrefixLen, len(k.value))] }

// logsClean reads the whole service log (from the container: a live target
// needs SMOKE_CONTAINERS; on a stack it read before, from where that read
// ended clean) for the configured keys and for a random wrong key it sends
// once itself, to a bare unknown tool (refused or unknown:
// nothing loads or runs). A key shorter than 8 characters is looked for
// whole. Grafana's credentials are not the service's, so not looked for.
func logsClean(ctx context.Context, p probe) error {
	s := p.s
	cfg := s.Config()
	sent := wrongKey()
	keys := []logKey{{"the wrong key this check sent", sent}}
	for _, k := range []logKey{{"the API key (" + harness.Env.APIKey + ")", cfg.APIKey.Value()}, {"the admin key (" + harness.Env.AdminKey + ")", cfg.AdminKey.Value()}} {
		if k.value != "" {
			keys = append(keys, k)
		}
	}
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.what
	}
	want := fmt.Sprintf("no line of the %s log holding %s, nor their first %d characters", harness.Genesis.Title(), strings.Join(names, ", "), keyPrefixLen)

	// The answer does not matter (403, 401 or 404): only what the log says.
	// Its correlation id marks, in the log, that the request has been
	// logged. Not derived from the wrong key: the log quotes correlation
	// ids, and the key's prefix in one would read as a leak.
	marker := "smokestack-logs-clean-" + harness.NewIdempotencyKey()
	g := p.g.WithAPIKey(sent) // a copy of the client's headers
	g.Requester.Header.Set("X-Correlation-Id", marker)
	_, _ = g.Invoke(ctx, harness.InvokeRequest{Tool: authProbeTool, Arguments: map[string]any{}})
	answered := time.Now()

	scrubKeys := func(text string) string {
		for _, k := range keys {
			text = strings.ReplaceAll(text, k.value, "[LEAK: "+k.what+"]")
			text = strings.ReplaceAll(text, k.prefix(), fmt.Sprintf("[LEAK: first %d characters of %s]", len(k.prefix()), k.what))
		}
		return harness.RedactText(text)
	}
	var leak error
	marked := false
	scan := func(since time.Time) error {
		return s.ScanLogs(ctx, harness.Genesis, since, func(line []byte) bool {
			marked = marked || bytes.Contains(line, []byte(marker))
			for _, k := range keys {
				if bytes.Contains(line, []byte(k.prefix())) {
					leak = p.fail("", want, fmt.Sprintf("a log line holding the first %d characters of %s", len(k.prefix()), k.what),
						fmt.Errorf("log line: %s; next: find where the service logs keys (auth middleware, start-up banner) and drop the key from the message",
							excerptAround(scrubKeys(string(line)), "[LEAK")))
					return false
				}
			}
			return true
		})
	}
	// The whole log, line by line from the first: a key printed once in
	// the start-up banner hours ago is the leak this check exists for. Then,
	// unless it already showed this check's request (its correlation id,
	// read settled: what the request printed while it was served is in by
	// then), the lines since just before that read, again until they show
	// it or for logsCleanWait (a service that logs no line per request). A
	// line printed more than logsCleanSettle after the answer, and after
	// the request's own lines, is no longer waited for.
	//
	// On a stack this check read before, "the whole log" is the lines from
	// where its last clean read ended (the fault matrix evaluates it some
	// 170 times per stack, over a log that grows to tens of megabytes):
	// the lines before were read then, for the same configured keys, and a
	// log only grows. The key the check sends is new each time, so it
	// cannot be in them.
	readKey := logsCleanReadKey(keys[1:])
	began := time.Now()
	deadline := began.Add(logsCleanWait)
	var read time.Time // when the last read began
	for since, first := s.LogReadThrough(harness.Genesis, readKey), true; ; since, first = began.Add(-logClockMargin), false {
		marked = false
		// A line with the id may come before others the request printed
		// while served (an "auth refused" line, then the key): those reach
		// the engine within milliseconds of the answer, so only a read that
		// began logsCleanSettle after it may end on the id.
		settled := time.Since(answered) >= logsCleanSettle
		read = time.Now()
		err := scan(since)
		var unavailable *harness.LogsUnavailableError
		switch {
		case leak != nil:
			return leak
		case errors.As(err, &unavailable):
			return CannotJudge("the service's log cannot be read, so no key could be looked for in it: %s", unavailable.Reason)
		case err != nil && ctx.Err() != nil:
			return CannotJudge("the check's deadline ended before the whole service log was read, so it was not all looked at: %v", err)
		case err != nil:
			return CannotJudge("the service's log could not be read to the end (%v)", err)
		}
		if (marked && settled) || (!first && !time.Now().Before(deadline)) {
			// A minute back, not the re-read's second: lines after the
			// mark are read next time by the engine's stamps, and an
			// engine's clock behind this one would leave a gap unread.
			s.MarkLogReadThrough(harness.Genesis, readKey, read.Add(-harness.EngineClockMargin))
			return nil
		}
		select {
		case <-ctx.Done():
			return CannotJudge("the check's deadline ended before the log showed this check's request (correlation id %s): %v", marker, ctx.Err())
		case <-time.After(logsCleanPoll):
		}
	}
}

// wrongKeyAlphabet holds no hexadecimal digit, upper or lower case: the
// service's log is full of random hex ids (trace, span, correlation), and
// a hex wrong key's 8-character prefix turned up inside a trace id by
// chance in a long run's log (a false alarm in CI). Letters g-z only, so
// no id, UUID or hash can hold the prefix by chance.
const wrongKeyAlphabet = "ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ"

// wrongKey is a fresh key, looking like an API key, that no service has
// configured and no hex id can contain.
func wrongKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24)
	for i := range b {
		b[i] = wrongKeyAlphabet[int(b[i])%len(wrongKeyAlphabet)]
	}
	return string(b)
}

// logsCleanReadKey names logs_clean's reads of a log for the configured
// keys it looked for (a digest: the stack keeps no key): a read for other
// keys has not looked for these.
func logsCleanReadKey(configured []logKey) string {
	h := sha256.New()
	for _, k := range configured {
		h.Write([]byte(k.value))
		h.Write([]byte{0})
	}
	return "logs_clean " + hex.EncodeToString(h.Sum(nil))
}

// logClockMargin is how far before its own clock a re-read for the
// check's own request starts: a line's way to the engine. It only looks
// for what that request printed; every older line is read from the mark
// or from the first line (harness.EngineClockMargin).
const logClockMargin = time.Second
