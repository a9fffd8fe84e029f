package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/finance"
)

func TestMoveCamera(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		org := func(name, kind string, parent int64) access.Organisation {
			o := access.Organisation{Name: name, Kind: kind, ParentID: parent}
			must(t, s.CreateOrganisation(ctx, &o))
			return o
		}
		p := org("Partnership", "partnership", 0)
		a := org("Council A", "council", p.ID)
		parks := org("A Parks", "department", a.ID)
		b := org("Council B", "council", p.ID)
		police := org("Police", "police", 0)
		cam, other := newCameraIn(t, s, parks.ID, "Market"), newCameraIn(t, s, parks.ID, "Bridge")
		group := func(o int64, name string) access.CameraGroup {
			g := access.CameraGroup{OrganisationID: o, Name: name, Cameras: []int64{cam.ID, other.ID}}
			must(t, s.CreateCameraGroup(ctx, &g))
			return g
		}
		gP, gA, gParks := group(p.ID, "Town centre"), group(a.ID, "A evenings"), group(parks.ID, "Parks")
		agree := func(grantor int64, ref string, all bool) access.SharingAgreement {
			ag := access.SharingAgreement{GrantorID: grantor, GranteeID: police.ID, Reference: ref, Rights: []string{"view_live"},
				AllCameras: all, Cameras: []int64{cam.ID, other.ID}, StartsAt: t0}
			must(t, s.CreateSharingAgreement(ctx, &ag))
			return ag
		}
		agP, agA, agParks := agree(p.ID, "DSA P", false), agree(a.ID, "DSA A", true), agree(parks.ID, "DSA Parks", false)
		before, err := s.RightsVersion(ctx)
		must(t, err)

		day := time.Date(2026, 11, 22, 17, 30, 0, 0, time.UTC)
		mv, err := s.MoveCamera(ctx, cam.ID, b.ID, day, 7)
		must(t, err)
		if mv.From != parks.ID || mv.To != b.ID {
			t.Errorf("move: got from %d to %d, want from %d to %d", mv.From, mv.To, parks.ID, b.ID)
		}
		if want := []int64{gA.ID, gParks.ID}; !slices.Equal(mv.Groups, want) {
			t.Errorf("groups left: got %v, want %v (A's and A Parks', not the partnership's)", mv.Groups, want)
		}
		if want := []int64{agA.ID, agParks.ID}; !slices.Equal(mv.Agreements, want) {
			t.Errorf("agreements left: got %v, want %v", mv.Agreements, want)
		}
		got, err := s.Camera(ctx, cam.ID)
		must(t, err)
		if got.OrganisationID != b.ID || got.URL != cam.URL || !got.Enabled {
			t.Errorf("camera after the move: got %+v, want owner %d, URL and state unchanged", got, b.ID)
		}
		for _, tt := range []struct {
			g    access.CameraGroup
			want []int64
		}{
			{gP, []int64{cam.ID, other.ID}},
			{gA, []int64{other.ID}},
			{gParks, []int64{other.ID}},
		} {
			g, err := s.CameraGroup(ctx, tt.g.ID)
			must(t, err)
			if !slices.Equal(g.Cameras, tt.want) {
				t.Errorf("group %s: got cameras %v, want %v", tt.g.Name, g.Cameras, tt.want)
			}
		}
		for _, tt := range []struct {
			ag   access.SharingAgreement
			want []int64
			all  bool
		}{
			{agP, []int64{cam.ID, other.ID}, false},
			{agA, []int64{other.ID}, true},
			{agParks, []int64{other.ID}, false},
		} {
			ag, err := s.SharingAgreement(ctx, tt.ag.ID)
			must(t, err)
			if !slices.Equal(ag.Cameras, tt.want) || ag.AllCameras != tt.all {
				t.Errorf("agreement %s: got cameras %v all %v, want %v all %v", tt.ag.Reference, ag.Cameras, ag.AllCameras, tt.want, tt.all)
			}
		}
		es, err := s.CameraEvents(ctx, cam.ID)
		must(t, err)
		want := finance.Event{ID: mv.Event.ID, Camera: cam.ID, Day: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), Kind: finance.OwnerChanged, Org: b.ID, Note: "moved through the console"}
		if len(es) != 1 || !es[0].Day.Equal(want.Day) || es[0].Kind != want.Kind || es[0].Org != want.Org || es[0].ID != want.ID || es[0].Note != want.Note {
			t.Errorf("history: got %+v, want the one event %+v", es, want)
		}
		after, err := s.RightsVersion(ctx)
		must(t, err)
		if after <= before {
			t.Errorf("rights version: got %d after the move, want more than %d", after, before)
		}

		// Moving it to where it is changes nothing and dates nothing.
		again, err := s.MoveCamera(ctx, cam.ID, b.ID, day, 7)
		must(t, err)
		if again.From != b.ID || len(again.Groups) != 0 || len(again.Agreements) != 0 || again.Event.ID != 0 {
			t.Errorf("moving to its own owner: got %+v, want nothing done", again)
		}
		if es, _ := s.CameraEvents(ctx, cam.ID); len(es) != 1 {
			t.Errorf("history after a move to its own owner: got %d events, want 1", len(es))
		}

		must(t, s.DeleteCamera(ctx, other.ID))
		for _, tt := range []struct {
			name    string
			cam, to int64
		}{
			{"missing camera", 9999, a.ID},
			{"deleted camera", other.ID, b.ID},
			{"missing organisation", cam.ID, 9999},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := s.MoveCamera(ctx, tt.cam, tt.to, day, 7); !errors.Is(err, ErrNotFound) {
					t.Errorf("got %v, want ErrNotFound", err)
				}
			})
		}
		if got, _ := s.Camera(ctx, cam.ID); got.OrganisationID != b.ID {
			t.Errorf("after the refused moves: got owner %d, want %d", got.OrganisationID, b.ID)
		}

		// A name the new owner already uses is a conflict, and nothing
		// of the move is kept.
		newCameraIn(t, s, a.ID, "Market")
		if _, err := s.MoveCamera(ctx, cam.ID, a.ID, day, 7); !errors.Is(err, ErrConflict) {
			t.Errorf("a name taken at the destination: got %v, want ErrConflict", err)
		}
		if g, _ := s.CameraGroup(ctx, gP.ID); !slices.Contains(g.Cameras, cam.ID) {
			t.Errorf("after a refused move: got group cameras %v, want camera %d kept", g.Cameras, cam.ID)
		}
		if es, _ := s.CameraEvents(ctx, cam.ID); len(es) != 1 {
			t.Errorf("history after a refused move: got %d events, want 1", len(es))
		}
	})
}
