package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/testkit"
)

// forEachStore runs fn against a fresh SQLite database and, when
// VIGIL_TEST_POSTGRES is set, against a fresh PostgreSQL schema.
func forEachStore(t *testing.T, fn func(t *testing.T, s *Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, openSQLite(t, filepath.Join(t.TempDir(), "vigil.db")))
	})
	if pg := testkit.PostgresURL(); pg != "" {
		t.Run("postgres", func(t *testing.T) {
			fn(t, openPostgres(t, pg))
		})
	}
}

func openSQLite(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, nil)
	if err != nil {
		t.Fatalf("Open(%q): got error %v, want nil", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openPostgres(t *testing.T, base string) *Store {
	t.Helper()
	dsn := testkit.PostgresSchema(t, base)
	s, err := Open(context.Background(), dsn, nil)
	if err != nil {
		t.Fatalf("Open(postgres): got error %v, want nil", err)
	}
	// Registered after the schema's cleanup, so it runs before the DROP.
	t.Cleanup(func() { s.Close() })
	return s
}

// t0 is a fixed instant with a sub-microsecond part, which the store must
// drop, and a non-UTC zone, which it must convert.
var t0 = time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.FixedZone("X", 3600))

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
}

func newCamera(t *testing.T, s *Store, name string, retention int) cameras.Camera {
	t.Helper()
	org, err := s.EnsureOrganisation(context.Background(), "Org", "council")
	must(t, err)
	c := cameras.Camera{OrganisationID: org.ID, Name: name, URL: "rtsp://cam.example/stream", RetentionDays: retention, Enabled: true}
	must(t, s.CreateCamera(context.Background(), &c))
	return c
}

func TestOpenDialectAndPing(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		want := "sqlite"
		if t.Name() == "TestOpenDialectAndPing/postgres" {
			want = "postgres"
		}
		if got := s.Dialect(); got != want {
			t.Errorf("Dialect() = %q, want %q", got, want)
		}
		if err := s.Ping(context.Background()); err != nil {
			t.Errorf("Ping: got %v, want nil", err)
		}
	})
}

func TestOpenBadDSN(t *testing.T) {
	tests := []struct{ name, dsn string }{
		{"empty", ""},
		{"empty after prefix", "sqlite:"},
		{"memory", ":memory:"},
		{"query in path", "/tmp/x.db?mode=ro"},
		{"missing directory", filepath.Join(t.TempDir(), "no", "such", "dir", "x.db")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(context.Background(), tt.dsn, nil)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q): got nil error, want one", tt.dsn)
			}
		})
	}
}

func TestSQLitePrefixes(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ dsn, file string }{
		{"sqlite:" + filepath.Join(dir, "a.db"), "a.db"},
		{"sqlite://" + filepath.Join(dir, "b.db"), "b.db"},
		{filepath.Join(dir, "c.db"), "c.db"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			s := openSQLite(t, tt.dsn)
			if got := s.Dialect(); got != "sqlite" {
				t.Errorf("Dialect() = %q, want sqlite", got)
			}
			if _, err := os.Stat(filepath.Join(dir, tt.file)); err != nil {
				t.Errorf("database file: got %v, want it created", err)
			}
		})
	}
}

func TestSQLitePragmas(t *testing.T) {
	s := openSQLite(t, filepath.Join(t.TempDir(), "p.db"))
	tests := []struct {
		db     *sql.DB
		pragma string
		want   string
	}{
		{s.wdb, "journal_mode", "wal"},
		{s.wdb, "synchronous", "1"},
		{s.wdb, "foreign_keys", "1"},
		{s.wdb, "busy_timeout", "10000"},
		{s.rdb, "foreign_keys", "1"},
		{s.rdb, "query_only", "1"},
		{s.rdb, "busy_timeout", "10000"},
	}
	for _, tt := range tests {
		name := "writer_" + tt.pragma
		if tt.db == s.r {
			name = "reader_" + tt.pragma
		}
		t.Run(name, func(t *testing.T) {
			var got string
			must(t, tt.db.QueryRow("PRAGMA "+tt.pragma).Scan(&got))
			if got != tt.want {
				t.Errorf("PRAGMA %s: got %q, want %q", tt.pragma, got, tt.want)
			}
		})
	}
	if got := s.wdb.Stats().MaxOpenConnections; got != 1 {
		t.Errorf("writer MaxOpenConnections: got %d, want 1", got)
	}
}

func TestReaderRejectsWrites(t *testing.T) {
	s := openSQLite(t, filepath.Join(t.TempDir(), "ro.db"))
	if _, err := s.rdb.Exec(`INSERT INTO organisations (name, kind, created_at) VALUES ('x', 'council', 0)`); err == nil {
		t.Fatal("insert through the read pool: got nil error, want one")
	}
}

func TestMigrationsIdempotent(t *testing.T) {
	check := func(t *testing.T, open func() *Store) {
		s := open()
		org, err := s.EnsureOrganisation(context.Background(), "Keep", "police")
		must(t, err)
		must(t, s.Close())
		for i := range 2 {
			s = open()
			var n int
			must(t, s.rdb.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n))
			ms, err := loadMigrations(migrationFS, s.dialect)
			must(t, err)
			if n != len(ms) {
				t.Errorf("reopen %d: schema_migrations rows: got %d, want %d", i, n, len(ms))
			}
			got, err := s.Organisation(context.Background(), org.ID)
			must(t, err)
			if got != org {
				t.Errorf("reopen %d: organisation: got %+v, want %+v", i, got, org)
			}
			must(t, s.Close())
		}
	}
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "m.db")
		check(t, func() *Store {
			s, err := Open(context.Background(), path, nil)
			must(t, err)
			return s
		})
	})
	if pg := testkit.PostgresURL(); pg != "" {
		t.Run("postgres", func(t *testing.T) {
			dsn := testkit.PostgresSchema(t, pg)
			check(t, func() *Store {
				s, err := Open(context.Background(), dsn, nil)
				must(t, err)
				return s
			})
		})
	}
}

func TestMigrationNewerThanBinary(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	s := openSQLite(t, path)
	_, err := s.wdb.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future.sql', 0)`)
	must(t, err)
	must(t, s.Close())
	s2, err := Open(context.Background(), path, nil)
	if err == nil {
		s2.Close()
		t.Fatal("Open of a database from the future: got nil error, want one")
	}
}

func TestSplitSQL(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"two", "CREATE TABLE a (x INT);\nCREATE TABLE b (y INT);\n", []string{"CREATE TABLE a (x INT)", "CREATE TABLE b (y INT)"}},
		{"comments", "-- a; b\nSELECT 1; -- trailing; note\n\n", []string{"SELECT 1"}},
		{"empty", "  \n-- only\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := splitSQL(tt.in)
			if len(got) != len(tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("statement %d: got %q, want %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestPlaceholdersOutOfOrder(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		var a, b string
		var c int64
		must(t, s.rdb.QueryRow(`SELECT CAST($2 AS TEXT), CAST($1 AS TEXT), CAST($3 AS BIGINT) + CAST($3 AS BIGINT)`, "one", "two", int64(21)).Scan(&a, &b, &c))
		if a != "two" || b != "one" || c != 42 {
			t.Errorf("got %q %q %d, want two one 42", a, b, c)
		}
	})
}

func TestErrorsWrap(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		_, err := s.Organisation(context.Background(), 12345)
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("missing organisation: got %v, want ErrNotFound", err)
		}
	})
}
