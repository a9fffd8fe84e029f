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
	"github.com/vigil-cctv/vigil/internal/recording"
	"github.com/vigil-cctv/vigil/internal/store"
)

// TestConsoleErasure: in a real Chromium (erasure.mjs), the manager
// deletes a range of a Kingsmead camera's footage from Playback; as
// Kingsmead asks four eyes for deletions, it waits until the
// administrator approves it under Approvals; then the files are gone and
// the manager's timeline shows the gap and why.
func TestConsoleErasure(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a browser through two people's sessions")
	}
	// Short segments, so that a few seconds hold whole ones to delete.
	t.Setenv("VIGIL_SEGMENT_DURATION", "5s")
	d := startDemo(t, 4, 0)
	cam := d.cameraOf(t, "Kingsmead Town Council")
	var from time.Time
	await(t, 90*time.Second, "25 s of the Kingsmead camera's footage", func() bool {
		s, e := d.recorded(t, int(cam))
		from = s
		return e.Sub(s) > 25*time.Second
	})
	// The console marks ranges to the millisecond.
	start, end := time.UnixMilli(from.Add(6*time.Second).UnixMilli()), time.UnixMilli(from.Add(18*time.Second).UnixMilli())
	res := browserScript(t, "erasure.mjs", map[string]any{
		"base": d.base, "accounts": d.accounts, "newPassword": auth.RandomPassword(), "camera": cam,
		"start": start.UnixMilli(), "end": end.UnixMilli(),
	})

	m := field[struct {
		Confirmation string `json:"confirmation"`
		Checked      bool   `json:"checked"`
		Status       string `json:"status"`
	}](t, res, "manager")
	if !m.Checked || !strings.Contains(m.Confirmation, "will delete") || !strings.Contains(m.Confirmation, "approval") || strings.Contains(m.Confirmation, "kept") && !strings.Contains(m.Confirmation, "whole files") {
		t.Errorf("the confirmation: got %+v, want the camera offered, saying what will be deleted and that it needs approval", m)
	}
	if !strings.Contains(m.Status, "approval requested") {
		t.Errorf("after confirming: status %q, want an approval requested", m.Status)
	}
	a := field[struct {
		ID      int64  `json:"id"`
		Row     string `json:"row"`
		State   string `json:"state"`
		Decided string `json:"decided"`
	}](t, res, "admin")
	if !strings.Contains(a.Row, "camera recorded a private garden") || a.State != "applied" || !strings.Contains(a.Decided, "deleted") {
		t.Errorf("the administrator's approval: got %+v, want the request with its reason, applied, saying what was deleted", a)
	}
	t.Logf("confirmation: %s; decided: %s", m.Confirmation, a.Decided)
	gaps := field[[]string](t, res, "gaps")
	want := fmt.Sprintf("deleted early: camera recorded a private garden, request %d of manager approved by admin", a.ID)
	if !slices.ContainsFunc(gaps, func(g string) bool { return strings.Contains(g, want) }) {
		t.Errorf("the manager's timeline gaps: got %q, want one saying %q", gaps, want)
	}

	st, err := store.Open(context.Background(), filepath.Join(d.dir, "data", "vigil.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	segs, err := st.SegmentsInRange(t.Context(), cam, start, end)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range segs {
		if !s.Start.Before(start.Add(-recording.Slack)) && !s.End.After(end.Add(recording.Slack)) {
			t.Errorf("segment %d (%s to %s) lies wholly inside the deleted range and is still there", s.ID, s.Start, s.End)
		}
	}
	ds, err := st.ListDeletions(t.Context(), cam, 10)
	if err != nil || len(ds) == 0 || !strings.Contains(ds[0].Reason, "camera recorded a private garden") {
		t.Errorf("the deletion log: got %+v (%v), want the deleted segments with the reason", ds, err)
	}
}
