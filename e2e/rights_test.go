package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/auth"
	"github.com/vigil-cctv/vigil/internal/store"
)

// TestConsoleRights: the demo's people with limited rights in a real
// Chromium (rights.mjs). Lea Vale's operator sees Lea Vale's cameras and
// no other council's; the police viewer watches a camera Lea Vale shares
// until the manager ends the agreement mid-view, when the picture stops
// and the cameras go; the partner officer, who may not view live, lands on
// playback; the administrator, who sees no footage, lands on the
// administration pages.
func TestConsoleRights(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a browser through four people's sessions")
	}
	d := startDemo(t, 16, 0)
	var cams []struct {
		ID           int64
		Organisation string
		Area         string
	}
	d.getJSON(t, "/api/v1/cameras", &cams)
	var leaVale, townCentre []int64
	other := int64(0)
	for _, c := range cams {
		switch {
		case c.Organisation == "Lea Vale Borough Council":
			leaVale = append(leaVale, c.ID)
			if c.Area == "Town Centre" {
				townCentre = append(townCentre, c.ID)
			}
		case other == 0:
			other = c.ID
		}
	}
	if len(cams) != 16 || len(leaVale) < 3 || len(townCentre) < 2 || len(townCentre) == len(leaVale) || other == 0 {
		t.Fatalf("the demo's cameras: %+v; want 16, Lea Vale's in and outside the town centre, and another council's", cams)
	}
	var agreements []struct {
		ID        int64
		Reference string
		Grantee   string
		Active    bool
	}
	d.getJSON(t, "/api/v1/sharing-agreements", &agreements)
	i := slices.IndexFunc(agreements, func(a struct {
		ID        int64
		Reference string
		Grantee   string
		Active    bool
	}) bool {
		return a.Grantee == "Shire Constabulary" && a.Active
	})
	if i < 0 {
		t.Fatalf("the demo's sharing agreements %+v: want one with the police, in force", agreements)
	}
	for _, who := range []string{"operator", "police-viewer", "mimram-officer", "admin"} {
		if d.accounts[who] == "" {
			t.Fatalf("the demo printed no password for %s", who)
		}
	}
	// The police watch a camera once it records.
	await(t, 60*time.Second, "footage of the shared camera", func() bool {
		s, e := d.recorded(t, int(townCentre[0]))
		return e.Sub(s) > 2*time.Second
	})

	res := browserScript(t, "rights.mjs", map[string]any{
		"base": d.base, "accounts": d.accounts, "managerToken": d.token, "newPassword": auth.RandomPassword(),
		"otherCamera": other, "sharedCamera": townCentre[0], "agreement": agreements[i].ID,
	})
	setup := field[map[string][]string](t, res, "setup")
	for who, want := range map[string][]string{"operator": {"password", "totp"}, "police-viewer": {"totp"}, "mimram-officer": {"totp"}, "admin": nil} {
		if got := setup[who]; !slices.Equal(got, want) {
			t.Errorf("%s's first sign-in asked for %v, want %v (a role that sees footage adds an authenticator; an administrator does not)", who, got, want)
		}
	}

	t.Run("council operator", func(t *testing.T) {
		o := field[struct {
			Landed      string   `json:"landed"`
			Nav         []string `json:"nav"`
			Tree        []int64  `json:"tree"`
			Groups      []string `json:"groups"`
			OtherCamera int      `json:"otherCamera"`
			OtherVideo  int      `json:"otherVideo"`
			OtherTile   string   `json:"otherTile"`
			Map         []int64  `json:"map"`
		}](t, res, "operator")
		if o.Landed != "/" || !slices.Equal(o.Nav, []string{"Live", "Playback", "Map", "Maintenance"}) {
			t.Errorf("Lea Vale's operator landed on %q with navigation %v, want the wall with Live, Playback, Map, Maintenance", o.Landed, o.Nav)
		}
		slices.Sort(o.Tree)
		slices.Sort(o.Map)
		if !slices.Equal(o.Tree, leaVale) || !slices.Equal(o.Groups, []string{"Lea Vale Borough Council"}) {
			t.Errorf("the camera tree: cameras %v under %v, want Lea Vale's %v alone", o.Tree, o.Groups, leaVale)
		}
		if !slices.Equal(o.Map, leaVale) {
			t.Errorf("the map: cameras %v, want Lea Vale's %v", o.Map, leaVale)
		}
		if o.OtherCamera != 404 || o.OtherVideo != 404 {
			t.Errorf("another council's camera %d: got %d, and %d for its recordings; want 404 (as if it did not exist)", other, o.OtherCamera, o.OtherVideo)
		}
		if !strings.Contains(o.OtherTile, fmt.Sprintf("no camera %d", other)) {
			t.Errorf("the wall asked for camera %d says %q, want no camera", other, o.OtherTile)
		}
	})
	t.Run("police viewer", func(t *testing.T) {
		p := field[struct {
			Landed       string   `json:"landed"`
			Nav          []string `json:"nav"`
			TreeBefore   []int64  `json:"treeBefore"`
			Playing      bool     `json:"playing"`
			EndStatus    int      `json:"endStatus"`
			StoppedAfter float64  `json:"stoppedAfterMillis"`
			TileMessage  string   `json:"tileMessage"`
			TreeAfter    []int64  `json:"treeAfter"`
			WallStatus   string   `json:"wallStatus"`
			APIAfter     int      `json:"apiAfter"`
			MarkButtons  int      `json:"markButtons"`
		}](t, res, "police")
		if p.MarkButtons != 0 {
			t.Errorf("the police viewer's playback shows %d of Mark in, Mark out and Export, want none: they may not export", p.MarkButtons)
		}
		slices.Sort(p.TreeBefore)
		if !slices.Equal(p.TreeBefore, townCentre) {
			t.Errorf("under the agreement the police viewer's tree holds %v, want the town-centre cameras %v", p.TreeBefore, townCentre)
		}
		if !p.Playing || p.EndStatus != 200 {
			t.Fatalf("the police viewer's tile played %v; ending the agreement answered %d; want playing and 200", p.Playing, p.EndStatus)
		}
		t.Logf("the tile stopped %.1f s after the agreement ended, saying %q", p.StoppedAfter/1000, p.TileMessage)
		if len(p.TreeAfter) != 0 || p.APIAfter != 0 || !strings.Contains(p.WallStatus, "No cameras") {
			t.Errorf("after the end: tree %v, %d cameras from the API, status %q; want none", p.TreeAfter, p.APIAfter, p.WallStatus)
		}
	})
	t.Run("partner officer", func(t *testing.T) {
		o := field[struct {
			Landed       string   `json:"landed"`
			Nav          []string `json:"nav"`
			Tree         []int64  `json:"tree"`
			ExportButton int      `json:"exportButton"`
			LiveButton   int      `json:"liveButton"`
		}](t, res, "officer")
		if o.Landed != "/playback" || slices.Contains(o.Nav, "Live") {
			t.Errorf("Mimram's partner officer landed on %q with navigation %v, want playback and no Live", o.Landed, o.Nav)
		}
		if o.ExportButton != 1 || o.LiveButton != 0 {
			t.Errorf("playback controls: %d Export and %d Live buttons, want 1 and 0", o.ExportButton, o.LiveButton)
		}
		for _, id := range o.Tree {
			if slices.Contains(leaVale, id) {
				t.Errorf("Mimram's officer's tree holds Lea Vale's camera %d", id)
			}
		}
		if len(o.Tree) == 0 {
			t.Error("Mimram's officer's tree is empty, want Mimram's cameras")
		}
	})
	t.Run("administrator", func(t *testing.T) {
		a := field[struct {
			Landed          string   `json:"landed"`
			Nav             []string `json:"nav"`
			Map             int      `json:"map"`
			Video           int      `json:"video"`
			PlaybackLanded  string   `json:"playbackLanded"`
			PlaybackStatus  int      `json:"playbackStatus"`
			PlaybackRefusal string   `json:"playbackRefusal"`
		}](t, res, "admin")
		if a.Landed != "/admin/cameras" || !slices.Equal(a.Nav, []string{"Map", "Approvals", "Maintenance", "Admin"}) {
			t.Errorf("the administrator landed on %q with navigation %v, want the administration pages, with Map, Approvals, Maintenance and Admin", a.Landed, a.Nav)
		}
		if a.Map != 16 || a.Video != 403 {
			t.Errorf("the administrator: %d cameras on the map, recordings answered %d; want 16, 403", a.Map, a.Video)
		}
		// Refused a page, they are told why where they asked, not sent
		// elsewhere.
		if a.PlaybackLanded != "/playback" || a.PlaybackStatus != 403 || !strings.Contains(a.PlaybackRefusal, "This page needs the right to play back recorded footage") {
			t.Errorf("the administrator's /playback: got %d at %q saying %q; want the 403 page naming the right", a.PlaybackStatus, a.PlaybackLanded, a.PlaybackRefusal)
		}
	})
	t.Run("audit", func(t *testing.T) {
		st, err := store.Open(context.Background(), filepath.Join(d.dir, "data", "vigil.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		trail, err := store.OpenTrail(context.Background(), filepath.Join(d.dir, "data", "audit.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer trail.Close()
		u, err := st.UserByName(t.Context(), "police-viewer")
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			stops, err := trail.ListAudit(t.Context(), store.AuditFilter{UserID: u.ID, Action: "live.stop"})
			if err != nil {
				t.Fatal(err)
			}
			if slices.ContainsFunc(stops, func(e store.AuditRecord) bool { return strings.Contains(e.Detail, "right to watch lapsed") }) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the police viewer's live.stop records %+v: want one saying their right lapsed", stops)
			}
			time.Sleep(200 * time.Millisecond) // polling another process's database
		}
	})
}
