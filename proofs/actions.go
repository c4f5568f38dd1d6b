package proofs

import (
	"context"
	"fmt"
	"time"

	"github.com/smokestack-dev/smokestack/harness"
)

// Silenced silences the alerts with label name=value in Alertmanager, and
// expires the silence after.
func Silenced(name, value string) Action {
	var id string
	return Action{
		Touches: []harness.Component{harness.Alertmanager},
		Apply: func(ctx context.Context, s *harness.Stack) error {
			rep, err := harness.Done(s.Alertmanager().Silence(ctx, name, value, 10*time.Minute, "smokestack fault proof: a silenced "+value))
			if err != nil {
				return err
			}
			id = rep.Data.SilenceID
			return nil
		},
		Restore: func(ctx context.Context, s *harness.Stack) error {
			if id == "" {
				return fmt.Errorf("no silence to expire")
			}
			_, err := harness.Done(s.Alertmanager().ExpireSilence(ctx, id))
			return err
		},
	}
}
