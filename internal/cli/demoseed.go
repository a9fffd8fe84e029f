package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/store"
)

// changer commits the change fn makes with the audit records it adds
// (tx.Log) in one transaction of the main database: the server's outbox
// (audit.Outbox.Change), which then takes the records into the trail.
//
// The demo's data is written through it, step by step, rather than through
// the capabilities' services: a service decides for a person (a Caller with
// a principal and a rights snapshot) and records them as its actor, where
// the demo's data is made by Vigil itself, before anyone has signed in.
// What the trail learns is the same: each thing made, with who made it.
type changer func(ctx context.Context, fn func(tx *store.Store) error) error

// demoSeed begins the detail of every record of the demo's own data, so
// that a reader of the trail tells it from what people did.
const demoSeed = "demo seed data"

// seedLog adds to tx the record of one change the demo made, as Vigil
// (auditlog.System); camera is the camera it concerns, or 0.
func seedLog(tx *store.Store, action auditlog.Action, camera int64, format string, args ...any) error {
	e := auditlog.System.Entry(action, demoSeed+": "+fmt.Sprintf(format, args...))
	e.CameraID = camera
	return tx.Log(e)
}

// seedOrganisation returns the organisation called name, making it (of
// kind, at the top of the tree) with its record if there is none.
func seedOrganisation(ctx context.Context, tx *store.Store, name, kind string) (access.Organisation, error) {
	o, err := tx.OrganisationByName(ctx, name)
	if !errors.Is(err, store.ErrNotFound) {
		return o, err
	}
	if o, err = tx.EnsureOrganisation(ctx, name, kind); err != nil {
		return o, err
	}
	return o, seedLog(tx, auditlog.OrganisationCreate, 0, "organisation %s (%d), kind %s", o.Name, o.ID, o.Kind)
}

// createSeedOrganisation makes o, with its record.
func createSeedOrganisation(ctx context.Context, tx *store.Store, o *access.Organisation) error {
	if err := tx.CreateOrganisation(ctx, o); err != nil {
		return err
	}
	return seedLog(tx, auditlog.OrganisationCreate, 0, "organisation %s (%d), kind %s, below organisation %d", o.Name, o.ID, o.Kind, o.ParentID)
}
