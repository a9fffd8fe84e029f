package store

import (
	"bytes"
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/identity"

	"github.com/vigil-cctv/vigil/internal/segindex"
)

func TestOrganisations(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a, err := s.EnsureOrganisation(ctx, "Council", "council")
		must(t, err)
		again, err := s.EnsureOrganisation(ctx, "Council", "police")
		must(t, err)
		if again != a {
			t.Errorf("EnsureOrganisation twice: got %+v, want %+v", again, a)
		}
		b, err := s.EnsureOrganisation(ctx, "Police", "police")
		must(t, err)
		if b.ID == a.ID {
			t.Errorf("second organisation id: got %d, want different from %d", b.ID, a.ID)
		}
		got, err := s.Organisation(ctx, b.ID)
		must(t, err)
		if got != b {
			t.Errorf("Organisation: got %+v, want %+v", got, b)
		}
		list, err := s.ListOrganisations(ctx)
		must(t, err)
		if len(list) != 2 || list[0] != a || list[1] != b {
			t.Errorf("ListOrganisations: got %+v, want [%+v %+v]", list, a, b)
		}
		for _, tt := range []struct{ name, kind string }{{"", "council"}, {"X", "martian"}} {
			if _, err := s.EnsureOrganisation(ctx, tt.name, tt.kind); err == nil {
				t.Errorf("EnsureOrganisation(%q, %q): got nil error, want one", tt.name, tt.kind)
			}
		}
		if _, err := s.Organisation(ctx, 999); !errors.Is(err, ErrNotFound) {
			t.Errorf("Organisation(999): got %v, want ErrNotFound", err)
		}
	})
}

func TestUsers(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		org, err := s.EnsureOrganisation(ctx, "Org", "customer")
		must(t, err)
		n, err := s.CountUsers(ctx)
		must(t, err)
		if n != 0 {
			t.Errorf("CountUsers on empty store: got %d, want 0", n)
		}
		u := identity.User{Username: "alice", PasswordHash: "$argon2id$x", OrganisationID: org.ID, Role: "admin", MustChangePassword: true}
		must(t, s.CreateUser(ctx, &u))
		if u.ID == 0 || u.CreatedAt.IsZero() {
			t.Fatalf("CreateUser: got ID %d CreatedAt %v, want both set", u.ID, u.CreatedAt)
		}
		byName, err := s.UserByName(ctx, "alice")
		must(t, err)
		if byName != u {
			t.Errorf("UserByName: got %+v, want %+v", byName, u)
		}
		byID, err := s.User(ctx, u.ID)
		must(t, err)
		if byID != u {
			t.Errorf("User: got %+v, want %+v", byID, u)
		}
		dup := identity.User{Username: "alice", PasswordHash: "h", OrganisationID: org.ID, Role: "viewer"}
		if err := s.CreateUser(ctx, &dup); !errors.Is(err, ErrConflict) {
			t.Errorf("duplicate username: got %v, want ErrConflict", err)
		}
		bob := identity.User{Username: "bob", PasswordHash: "h", OrganisationID: org.ID, Role: "viewer"}
		must(t, s.CreateUser(ctx, &bob))
		if bob.MustChangePassword {
			t.Errorf("bob MustChangePassword: got true, want false")
		}
		n, err = s.CountUsers(ctx)
		must(t, err)
		if n != 2 {
			t.Errorf("CountUsers: got %d, want 2", n)
		}
		tests := []struct {
			name string
			get  func() error
		}{
			{"by name", func() error { _, err := s.UserByName(ctx, "carol"); return err }},
			{"by id", func() error { _, err := s.User(ctx, 424242); return err }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := tt.get(); !errors.Is(err, ErrNotFound) {
					t.Errorf("got %v, want ErrNotFound", err)
				}
			})
		}
		bad := []identity.User{
			{PasswordHash: "h", OrganisationID: org.ID, Role: "r"},
			{Username: "x", PasswordHash: "h", Role: "r"},
			{Username: "x", PasswordHash: "h", OrganisationID: org.ID},
		}
		for i, b := range bad {
			if err := s.CreateUser(ctx, &b); err == nil {
				t.Errorf("invalid user %d: got nil error, want one", i)
			}
		}
		noOrg := identity.User{Username: "y", PasswordHash: "h", OrganisationID: 777, Role: "r"}
		if err := s.CreateUser(ctx, &noOrg); err == nil {
			t.Errorf("user of a missing organisation: got nil error, want a foreign key error")
		}
	})
}

func TestTokens(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		org, err := s.EnsureOrganisation(ctx, "Org", "customer")
		must(t, err)
		u := identity.User{Username: "alice", PasswordHash: "h", OrganisationID: org.ID, Role: "admin"}
		must(t, s.CreateUser(ctx, &u))

		past := t0.Add(-time.Hour)
		future := time.Now().Add(time.Hour)
		live := identity.Token{UserID: u.ID, Name: "cli", Hash: bytes.Repeat([]byte{1}, 32)}
		expiring := identity.Token{UserID: u.ID, Name: "ci", Hash: bytes.Repeat([]byte{2}, 32), ExpiresAt: &future}
		expired := identity.Token{UserID: u.ID, Name: "old", Hash: bytes.Repeat([]byte{3}, 32), ExpiresAt: &past}
		for _, tk := range []*identity.Token{&live, &expiring, &expired} {
			must(t, s.CreateToken(ctx, tk))
		}

		tests := []struct {
			name    string
			hash    []byte
			want    *identity.Token
			wantErr error
		}{
			{"no expiry", live.Hash, &live, nil},
			{"expires later", expiring.Hash, &expiring, nil},
			{"expired", expired.Hash, nil, ErrNotFound},
			{"unknown", bytes.Repeat([]byte{9}, 32), nil, ErrNotFound},
			{"empty", nil, nil, ErrNotFound},
			{"oversized", make([]byte, 1<<20), nil, ErrNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tok, usr, err := s.TokenByHash(ctx, tt.hash, identity.TokenAPI)
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got error %v, want %v", err, tt.wantErr)
				}
				if tt.want == nil {
					return
				}
				if !sameToken(tok, *tt.want) {
					t.Errorf("token: got %+v, want %+v", tok, *tt.want)
				}
				if usr != u {
					t.Errorf("user: got %+v, want %+v", usr, u)
				}
			})
		}

		dup := identity.Token{UserID: u.ID, Name: "dup", Hash: live.Hash}
		if err := s.CreateToken(ctx, &dup); !errors.Is(err, ErrConflict) {
			t.Errorf("duplicate hash: got %v, want ErrConflict", err)
		}
		if err := s.CreateToken(ctx, &identity.Token{UserID: u.ID, Name: "nohash"}); err == nil {
			t.Errorf("token without hash: got nil error, want one")
		}

		used := t0.Add(time.Minute)
		must(t, s.TouchToken(ctx, live.ID, used))
		if err := s.TouchToken(ctx, 99999, used); !errors.Is(err, ErrNotFound) {
			t.Errorf("TouchToken(missing): got %v, want ErrNotFound", err)
		}
		list, err := s.ListTokens(ctx, u.ID)
		must(t, err)
		if len(list) != 3 {
			t.Fatalf("ListTokens: got %d tokens, want 3", len(list))
		}
		if list[0].ID != live.ID || list[0].LastUsedAt == nil || !list[0].LastUsedAt.Equal(normal(used)) {
			t.Errorf("ListTokens[0]: got %+v, want id %d last used %v", list[0], live.ID, normal(used))
		}
		if !sameToken(list[2], expired) {
			t.Errorf("ListTokens[2]: got %+v, want %+v", list[2], expired)
		}
	})
}

func sameToken(a, b identity.Token) bool {
	eqPtr := func(x, y *time.Time) bool {
		if x == nil || y == nil {
			return x == y
		}
		return x.Equal(*y) && x.Location() == time.UTC && y.Location() == time.UTC
	}
	return a.ID == b.ID && a.UserID == b.UserID && a.Name == b.Name && bytes.Equal(a.Hash, b.Hash) &&
		a.CreatedAt == b.CreatedAt && eqPtr(a.ExpiresAt, b.ExpiresAt) && eqPtr(a.LastUsedAt, b.LastUsedAt)
}

func sameCamera(a, b cameras.Camera) bool {
	eqPtr := func(x, y *time.Time) bool {
		if x == nil || y == nil {
			return x == y
		}
		return *x == *y
	}
	return a.ID == b.ID && a.OrganisationID == b.OrganisationID && a.Name == b.Name && a.URL == b.URL &&
		bytes.Equal(a.Credentials, b.Credentials) && (a.Credentials == nil) == (b.Credentials == nil) &&
		a.Transport == b.Transport && a.RetentionDays == b.RetentionDays && a.Enabled == b.Enabled &&
		a.CreatedAt == b.CreatedAt && a.UpdatedAt == b.UpdatedAt && eqPtr(a.DeletedAt, b.DeletedAt) &&
		a.Area == b.Area && a.Site == b.Site && a.Description == b.Description &&
		sameFloat(a.Latitude, b.Latitude) && sameFloat(a.Longitude, b.Longitude)
}

// sameFloat compares bit for bit: a position must come back exactly.
func sameFloat(x, y *float64) bool {
	if x == nil || y == nil {
		return x == y
	}
	return math.Float64bits(*x) == math.Float64bits(*y)
}

func TestCameras(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		org, err := s.EnsureOrganisation(ctx, "Org", "camera_owner")
		must(t, err)
		other, err := s.EnsureOrganisation(ctx, "Other", "camera_owner")
		must(t, err)

		a := cameras.Camera{OrganisationID: org.ID, Name: "Gate", URL: "rtsp://10.0.0.1/a", Credentials: []byte{0, 1, 2, 255},
			RetentionDays: 30, Enabled: true}
		must(t, s.CreateCamera(ctx, &a))
		if a.Transport != "tcp" {
			t.Errorf("default transport: got %q, want tcp", a.Transport)
		}
		b := cameras.Camera{OrganisationID: org.ID, Name: "Yard", URL: "rtsp://10.0.0.2/b", Transport: "udp", RetentionDays: 7}
		must(t, s.CreateCamera(ctx, &b))
		if b.Credentials != nil {
			t.Errorf("credentials: got %v, want nil", b.Credentials)
		}

		got, err := s.Camera(ctx, a.ID)
		must(t, err)
		if !sameCamera(got, a) {
			t.Errorf("Camera: got %+v, want %+v", got, a)
		}
		gotB, err := s.Camera(ctx, b.ID)
		must(t, err)
		if !sameCamera(gotB, b) {
			t.Errorf("Camera without credentials: got %+v, want %+v", gotB, b)
		}

		conflicts := []struct {
			name string
			c    cameras.Camera
			want error
		}{
			{"same org same name", cameras.Camera{OrganisationID: org.ID, Name: "Gate", URL: "rtsp://x/"}, ErrConflict},
			{"other org same name", cameras.Camera{OrganisationID: other.ID, Name: "Gate", URL: "rtsp://x/"}, nil},
		}
		for _, tt := range conflicts {
			t.Run(tt.name, func(t *testing.T) {
				c := tt.c
				if err := s.CreateCamera(ctx, &c); !errors.Is(err, tt.want) {
					t.Errorf("got %v, want %v", err, tt.want)
				}
			})
		}

		invalid := []struct {
			name string
			c    cameras.Camera
		}{
			{"no org", cameras.Camera{Name: "n", URL: "rtsp://x/"}},
			{"no name", cameras.Camera{OrganisationID: org.ID, URL: "rtsp://x/"}},
			{"bad transport", cameras.Camera{OrganisationID: org.ID, Name: "n", URL: "rtsp://x/", Transport: "sctp"}},
			{"negative retention", cameras.Camera{OrganisationID: org.ID, Name: "n", URL: "rtsp://x/", RetentionDays: -1}},
			{"huge retention", cameras.Camera{OrganisationID: org.ID, Name: "n", URL: "rtsp://x/", RetentionDays: 1 << 40}},
			{"credentials in url", cameras.Camera{OrganisationID: org.ID, Name: "n", URL: "rtsp://admin:secret@x/"}},
			{"unparsable url", cameras.Camera{OrganisationID: org.ID, Name: "n", URL: "rtsp://x/%zz"}},
		}
		for _, tt := range invalid {
			t.Run(tt.name, func(t *testing.T) {
				c := tt.c
				if err := s.CreateCamera(ctx, &c); err == nil {
					t.Errorf("got nil error, want one")
				}
			})
		}

		b.Name, b.URL, b.Credentials, b.Transport, b.RetentionDays, b.Enabled = "Yard 2", "rtsp://10.0.0.3/c", []byte("sealed"), "tcp", 90, true
		before := b.UpdatedAt
		must(t, s.UpdateCamera(ctx, &b))
		if b.UpdatedAt.Before(before) {
			t.Errorf("UpdatedAt: got %v, want at or after %v", b.UpdatedAt, before)
		}
		gotB, err = s.Camera(ctx, b.ID)
		must(t, err)
		if !sameCamera(gotB, b) {
			t.Errorf("after update: got %+v, want %+v", gotB, b)
		}
		clash := b
		clash.Name = "Gate"
		if err := s.UpdateCamera(ctx, &clash); !errors.Is(err, ErrConflict) {
			t.Errorf("rename onto a taken name: got %v, want ErrConflict", err)
		}

		if got, err := s.CameraOrganisation(ctx, a.ID); err != nil || got != a.OrganisationID {
			t.Errorf("CameraOrganisation: got %d, %v, want %d", got, err, a.OrganisationID)
		}
		must(t, s.DeleteCamera(ctx, a.ID))
		if _, err := s.Camera(ctx, a.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("deleted camera: got %v, want ErrNotFound", err)
		}
		if _, err := s.CameraOrganisation(ctx, a.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("a deleted camera's organisation: got %v, want ErrNotFound", err)
		}
		if err := s.DeleteCamera(ctx, a.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("delete twice: got %v, want ErrNotFound", err)
		}
		gone := a
		if err := s.UpdateCamera(ctx, &gone); !errors.Is(err, ErrNotFound) {
			t.Errorf("update deleted: got %v, want ErrNotFound", err)
		}
		reuse := cameras.Camera{OrganisationID: org.ID, Name: "Gate", URL: "rtsp://10.0.0.9/"}
		if err := s.CreateCamera(ctx, &reuse); err != nil {
			t.Errorf("reuse a deleted camera's name: got %v, want nil", err)
		}

		list, err := s.ListCameras(ctx)
		must(t, err)
		var ids []int64
		for _, c := range list {
			ids = append(ids, c.ID)
		}
		if len(ids) != 3 || ids[0] != b.ID || ids[2] != reuse.ID {
			t.Errorf("ListCameras ids: got %v, want [%d <other org Gate> %d]", ids, b.ID, reuse.ID)
		}

		ret, err := s.RetentionDays(ctx)
		must(t, err)
		if len(ret) != 4 || ret[a.ID] != 30 || ret[b.ID] != 90 {
			t.Errorf("RetentionDays: got %v, want 4 cameras with %d:30 (deleted) and %d:90", ret, a.ID, b.ID)
		}
	})
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestTimeRoundTrip(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		cam := newCamera(t, s, "cam", 1)
		tests := []struct {
			name string
			in   time.Time
		}{
			{"sub-microsecond in another zone", t0},
			{"exact microsecond", time.Date(2024, 2, 29, 23, 59, 59, 999999000, time.UTC)},
			{"before 1970", time.Date(1969, 7, 20, 20, 17, 40, 123456000, time.UTC)},
			{"far future", time.Date(2200, 1, 1, 0, 0, 0, 1000, time.UTC)},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				want := tt.in.Truncate(time.Microsecond).UTC()
				seg := segindex.Segment{CameraID: cam.ID, Storage: "s", Path: "p" + string(rune('a'+i)), Start: tt.in, End: tt.in.Add(time.Second)}
				must(t, s.CreateSegment(ctx, &seg))
				got, err := s.Segment(ctx, seg.ID)
				must(t, err)
				if got.Start != want {
					t.Errorf("Start: got %v (%v), want %v (UTC)", got.Start, got.Start.Location(), want)
				}
				if got.Start.Location() != time.UTC {
					t.Errorf("Start location: got %v, want UTC", got.Start.Location())
				}
				if seg.Start != got.Start {
					t.Errorf("CreateSegment normalised Start: got %v, want %v", seg.Start, got.Start)
				}
			})
		}
	})
}
