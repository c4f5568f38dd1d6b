package checks

import (
	"context"
	"errors"
	"strings"

	"github.com/smokestack-dev/smokestack/harness"
)

// The rollback's flag steps (smokestack rollback), made of the same reads,
// writes and waits as the emergency_shutdown drill: an admin write is only
// done when the flag reads back as written, and the shutdown only when
// orchestration is refused with 503 naming it.

// lineRollback is the checklist's rollback step the failures quote.
const lineRollback = "Rollback Procedure, step 1: enable emergency_shutdown and disable phase_4_deployment (set_flag), then verify"

// FlagWrite is one admin flag write.
type FlagWrite struct {
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
}

// RollbackWrites are the checklist's rollback step 1, in its order.
var RollbackWrites = []FlagWrite{{ShutdownFlag, true}, {Phase4Flag, false}}

// rollbackProbe is the Genesis probe of the rollback: its failures are
// named "rollback" and quote the procedure's line.
func rollbackProbe(s *harness.Stack) (probe, error) {
	p, err := newProbe(s)
	p.name, p.line = "rollback", lineRollback
	return p, err
}

// ReadFlag reads a flag's enabled state as the service evaluates it now
// (GET /flags/{name}/rollout).
func ReadFlag(ctx context.Context, s *harness.Stack, name string) (bool, error) {
	p, err := rollbackProbe(s)
	if err != nil {
		return false, err
	}
	return p.readFlag(ctx, name)
}

// WriteFlag writes a flag with the admin key (SMOKE_ADMIN_KEY) and reads
// it back until it shows the write (within a few seconds). A refused
// write, an answer that disagrees with it, or a read-back that never shows
// it (a write the service ignores) is an error: the flag is not set.
func WriteFlag(ctx context.Context, s *harness.Stack, w FlagWrite) error {
	p, err := rollbackProbe(s)
	if err != nil {
		return err
	}
	key := s.Config().AdminKey
	if key.Value() == "" {
		return errors.New("no admin key: set " + harness.Env.AdminKey)
	}
	if _, err := p.setFlag(ctx, w.Name, w.Enabled, key); err != nil {
		return err
	}
	return p.awaitFlag(ctx, w.Name, w.Enabled)
}

// AwaitShutdown waits until orchestration is refused with 503 and a
// reason naming emergency_shutdown: the shutdown is in effect.
func AwaitShutdown(ctx context.Context, s *harness.Stack) error {
	p, err := rollbackProbe(s)
	if err != nil {
		return err
	}
	return p.awaitRefusal(ctx)
}

// AwaitServing waits until a decomposition is answered 2xx again.
func AwaitServing(ctx context.Context, s *harness.Stack) error {
	p, err := rollbackProbe(s)
	if err != nil {
		return err
	}
	return p.awaitServing(ctx)
}

// RefusedByShutdown says whether a verdict is a failure the emergency
// shutdown causes on purpose: a 503 whose text names emergency_shutdown
// (what the service answers every orchestration request while it is on).
func RefusedByShutdown(v Verdict) bool {
	if v.Outcome != Fail || v.Err == nil {
		return false
	}
	text := v.Err.Error()
	return strings.Contains(text, "503") && strings.Contains(text, ShutdownFlag)
}
