package store

import (
	"context"
	"database/sql"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/testkit"
)

func fp(v float64) *float64 { return &v }

func TestCameraPlace(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		org, err := s.EnsureOrganisation(ctx, "Org", "council")
		must(t, err)
		tests := []struct {
			name     string
			lat, lon *float64
		}{
			{"no position", nil, nil},
			// Values with no short decimal form, and the extremes, must
			// come back bit for bit.
			{"town centre", fp(51.795712345678901), fp(-0.078123456789012)},
			{"thirds", fp(1.0 / 3), fp(-2.0 / 3)},
			{"whole degrees", fp(52), fp(0)},
			{"negative zero", fp(math.Copysign(0, -1)), fp(math.Copysign(0, -1))},
			{"extremes", fp(-90), fp(180)},
			{"smallest", fp(5e-324), fp(-5e-324)},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := cameras.Camera{OrganisationID: org.ID, Name: "cam " + tt.name, URL: "rtsp://x/", Area: "Town Centre",
					Site: "Market Place", Description: "On the lamp post by the war memorial, looking south", Latitude: tt.lat, Longitude: tt.lon}
				must(t, s.CreateCamera(ctx, &c))
				if c.Latitude != nil && math.Signbit(*c.Latitude) && *c.Latitude == 0 {
					t.Errorf("CreateCamera left latitude -0, want it made +0 as both engines store it")
				}
				got, err := s.Camera(ctx, c.ID)
				must(t, err)
				if !sameCamera(got, c) {
					t.Errorf("Camera: got %+v, want %+v", got, c)
				}
				// Update moves it elsewhere and, for the first case, gives
				// it a position it lacked.
				c.Area, c.Site, c.Description = "Car Parks", "", ""
				c.Latitude, c.Longitude = fp(float64(i)+0.125), fp(-float64(i)-0.375)
				must(t, s.UpdateCamera(ctx, &c))
				list, err := s.ListCameras(ctx)
				must(t, err)
				last := list[len(list)-1]
				if !sameCamera(last, c) {
					t.Errorf("after update: got %+v, want %+v", last, c)
				}
				c.Latitude, c.Longitude = nil, nil
				must(t, s.UpdateCamera(ctx, &c))
				got, err = s.Camera(ctx, c.ID)
				must(t, err)
				if got.Latitude != nil || got.Longitude != nil {
					t.Errorf("after clearing: got %v, %v, want nil, nil", got.Latitude, got.Longitude)
				}
			})
		}

		invalid := []struct {
			name string
			c    cameras.Camera
		}{
			{"latitude alone", cameras.Camera{Latitude: fp(51)}},
			{"longitude alone", cameras.Camera{Longitude: fp(0)}},
			{"latitude above 90", cameras.Camera{Latitude: fp(90.0000001), Longitude: fp(0)}},
			{"latitude below -90", cameras.Camera{Latitude: fp(-91), Longitude: fp(0)}},
			{"longitude above 180", cameras.Camera{Latitude: fp(0), Longitude: fp(180.5)}},
			{"longitude below -180", cameras.Camera{Latitude: fp(0), Longitude: fp(-181)}},
			{"NaN", cameras.Camera{Latitude: fp(math.NaN()), Longitude: fp(0)}},
			{"infinite", cameras.Camera{Latitude: fp(0), Longitude: fp(math.Inf(1))}},
			{"long area", cameras.Camera{Area: strings.Repeat("a", cameras.MaxPlace+1)}},
			{"long site", cameras.Camera{Site: strings.Repeat("é", cameras.MaxPlace+1)}},
			{"long description", cameras.Camera{Description: strings.Repeat("d", cameras.MaxDescription+1)}},
		}
		for _, tt := range invalid {
			t.Run(tt.name, func(t *testing.T) {
				c := tt.c
				c.OrganisationID, c.Name, c.URL = org.ID, "bad "+tt.name, "rtsp://x/"
				if err := s.CreateCamera(ctx, &c); err == nil {
					t.Errorf("CreateCamera: got nil error, want one")
				}
			})
		}
		// The limits count characters, not bytes.
		ok := cameras.Camera{OrganisationID: org.ID, Name: "accents", URL: "rtsp://x/", Area: strings.Repeat("é", cameras.MaxPlace)}
		if err := s.CreateCamera(ctx, &ok); err != nil {
			t.Errorf("area of %d two-byte characters: got %v, want nil", cameras.MaxPlace, err)
		}
	})
}

// TestMigrateVersion1Database opens a database left by a binary that knew
// only the first migration, with a camera in it, and checks that the
// camera survives with an empty place.
func TestMigrateVersion1Database(t *testing.T) {
	check := func(t *testing.T, driver, dialect, dsn, openDSN string) {
		ctx := context.Background()
		db, err := sql.Open(driver, dsn)
		must(t, err)
		ms, err := loadMigrations(migrationFS, dialect)
		must(t, err)
		if len(ms) < 2 {
			t.Fatalf("migrations: got %d, want at least 2", len(ms))
		}
		for _, stmt := range ms[0].stmts {
			if _, err := db.Exec(stmt); err != nil {
				t.Fatalf("%v\n%s", err, stmt)
			}
		}
		for _, stmt := range []string{
			`CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`,
			`INSERT INTO schema_migrations VALUES (1, '0001_init.sql', 0)`,
			`INSERT INTO organisations (name, kind, created_at) VALUES ('Old', 'council', 0)`,
			`INSERT INTO cameras (organisation_id, name, url, transport, retention_days, enabled, created_at, updated_at)
				VALUES (1, 'Old camera', 'rtsp://old/', 'tcp', 31, TRUE, 0, 0)`,
		} {
			if _, err := db.Exec(stmt); err != nil {
				t.Fatalf("%v\n%s", err, stmt)
			}
		}
		must(t, db.Close())

		s, err := Open(ctx, openDSN, nil)
		must(t, err)
		defer s.Close()
		var version int
		must(t, s.rdb.QueryRow(`SELECT MAX(version) FROM schema_migrations`).Scan(&version))
		if want := ms[len(ms)-1].version; version != want {
			t.Errorf("schema version: got %d, want %d", version, want)
		}
		list, err := s.ListCameras(ctx)
		must(t, err)
		if len(list) != 1 {
			t.Fatalf("cameras: got %d, want 1", len(list))
		}
		c := list[0]
		if c.Name != "Old camera" || c.Area != "" || c.Site != "" || c.Description != "" || c.Latitude != nil || c.Longitude != nil {
			t.Errorf("migrated camera: got %+v, want Old camera with an empty place", c)
		}
		c.Area, c.Latitude, c.Longitude = "Town Centre", fp(51.8), fp(-0.08)
		must(t, s.UpdateCamera(ctx, &c))
		if _, err := s.Layouts(ctx, 1); err != nil {
			t.Errorf("Layouts after migration: got %v, want nil", err)
		}
	}
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "v1.db")
		check(t, "sqlite", dialectSQLite, path+"?_pragma=foreign_keys(ON)", path)
	})
	if pg := testkit.PostgresURL(); pg != "" {
		t.Run("postgres", func(t *testing.T) {
			dsn := testkit.PostgresSchema(t, pg)
			check(t, "pgx", dialectPostgres, dsn, dsn)
		})
	}
}
