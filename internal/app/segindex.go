package app

import (
	"context"

	"github.com/vigil-cctv/vigil/internal/playback"
	"github.com/vigil-cctv/vigil/internal/recording"
	"github.com/vigil-cctv/vigil/internal/store"
)

// The store keeps the segment index for the media core, which knows it
// only through interfaces of its own (recording and playback import no
// store); these say so at compile time.
var (
	_ recording.Index          = (*store.Store)(nil)
	_ recording.ReconcileStore = (*store.Store)(nil)
	_ recording.RetentionStore = (*store.Store)(nil)
	_ recording.EraserStore    = (*store.Store)(nil)
	_ recording.DeletionTx     = (*store.Store)(nil)
	_ playback.Index           = (*store.Store)(nil)
)

// deletionTx runs a deletion of footage in one transaction of the main
// database (store.Update): the rows, their deletion log, a gap and the
// audit record commit together, the record through the outbox.
func deletionTx(st *store.Store) recording.InTx {
	return func(ctx context.Context, fn func(tx recording.DeletionTx) error) (int64, error) {
		return st.Update(ctx, func(tx *store.Store) error { return fn(tx) })
	}
}
