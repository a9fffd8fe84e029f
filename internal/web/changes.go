package web

import (
	"context"
	"errors"

	"github.com/vigil-cctv/vigil/internal/audit"
	"github.com/vigil-cctv/vigil/internal/store"
)

// changerFor is how a capability's service commits a change with its
// audit records: through the server's outbox (Options.Changes), or, for
// a server built without one (a test or benchmark that keeps no trail),
// in one transaction of the store whose records wait in its outbox.
func changerFor[R any](o *audit.Outbox, st *store.Store) func(context.Context, func(R) error) error {
	if o != nil {
		return audit.Changer[R](o)
	}
	return func(ctx context.Context, fn func(R) error) error {
		_, err := st.Update(ctx, audit.AsRepo(fn))
		return err
	}
}

// defaultChanges opens the outbox of a server given a trail but no
// outbox, as tests build it, so that records reach the trail as they
// would in the server the application wires up.
func defaultChanges(opt Options) (*audit.Outbox, error) {
	if opt.Changes != nil || opt.Audit == nil || opt.Store == nil {
		return opt.Changes, nil
	}
	o, err := audit.NewOutbox(context.Background(), opt.Store, opt.Audit, audit.OutboxOptions{Logger: opt.Logger.With("component", "audit-outbox")})
	if errors.Is(err, audit.ErrReadOnly) {
		return nil, nil // a trail that cannot be written: records wait in the outbox
	}
	return o, err
}
