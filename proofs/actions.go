package proofs

import (
	"context"
	"fmt"
	"time"

	"github.com/smokestack-dev/smokestack/harness"
)

// Both applies two actions, and restores them in reverse order.
func Both(a, b Action) Action {
	return Action{
		Touches: union(a.Touches, b.Touches),
		Apply: func(ctx context.Context, s *harness.Stack) error {
			if err := a.Apply(ctx, s); err != nil {
				return err
			}
			if err := b.Apply(ctx, s); err != nil {
				_ = a.Restore(ctx, s)
				return err
			}
			return nil
		},
		Restore: func(ctx context.Context, s *harness.Stack) error {
			errB := b.Restore(ctx, s)
			if errA := a.Restore(ctx, s); errA != nil {
				return errA
			}
			return errB
		},
	}
}

// Silenced silences the alerts with label name=value in Alertmanager, and
// expires the silence after.
func Silenced(name, value string) Action {
	var id string
	return Action{
		Touches: []harness.Component{harness.Alertmanager},
		Apply: func(ctx context.Context, s *harness.Stack) error {
			var err error
			id, err = s.Alertmanager().SilenceE(ctx, name, value, 10*time.Minute, "smokestack fault proof: a silenced "+value)
			return err
		},
		Restore: func(ctx context.Context, s *harness.Stack) error {
			if id == "" {
				return fmt.Errorf("no silence to expire")
			}
			return s.Alertmanager().ExpireSilenceE(ctx, id)
		},
	}
}
