package harness

// Option changes how Start builds the ephemeral stack. Options are how the
// fault proofs start a stack with a broken part; a user rarely needs one.
type Option func(*startOptions)

type startOptions struct {
	genesisFaults string
	genesisEnv    map[string]string
	logf          func(format string, args ...any)
	progressf     func(format string, args ...any)
	milestonef    func(format string, args ...any) // logf, and progressf when set
	detached      bool
}

// WithGenesisFaults starts the reference service with these fault knobs
// (the GENESIS_FAULTS syntax: "health_unhealthy,agent_count=14").
func WithGenesisFaults(spec string) Option {
	return func(o *startOptions) { o.genesisFaults = spec }
}

// WithGenesisEnv sets an environment variable of the reference service.
func WithGenesisEnv(key, value string) Option {
	return func(o *startOptions) {
		if o.genesisEnv == nil {
			o.genesisEnv = map[string]string{}
		}
		o.genesisEnv[key] = value
	}
}

// WithLogf sends progress lines (what starts, how long it took) to logf.
func WithLogf(logf func(format string, args ...any)) Option {
	return func(o *startOptions) { o.logf = logf }
}

// Detached marks the stack as meant to outlive this process (smokestack up):
// a later run's sweep leaves it alone and Close does not remove it.
func Detached() Option {
	return func(o *startOptions) { o.detached = true }
}
