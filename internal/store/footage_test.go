package store

import "github.com/vigil-cctv/vigil/internal/footage"

// The store is footage's repository, in the segment index's own rows and
// recording's deletion transaction. The check is a test's, not the
// package's: footage imports recording and playback, whose tests use the
// store, so the store itself may not import footage.
var _ footage.Repo = (*Store)(nil)
