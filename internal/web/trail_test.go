package web

import (
	"context"
	"crypto/ed25519"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/internal/audit"
	"github.com/vigil-cctv/vigil/internal/config"
)

// openTrail opens an audit trail beside the main database at dsn, where a
// server on that database keeps it: audit.db in the same folder, or a
// schema of its own in the same PostgreSQL database.
func openTrail(tb testing.TB, dsn string) *audit.Trail {
	tb.Helper()
	tdsn := filepath.Join(filepath.Dir(dsn), "audit.db")
	if strings.HasPrefix(dsn, "postgres") {
		tdsn = config.Config{DatabaseURL: dsn}.AuditDSN()
	}
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		tb.Fatal(err)
	}
	tr, err := audit.Open(context.Background(), audit.Options{DSN: tdsn, Key: key})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { tr.Close() })
	return tr
}
