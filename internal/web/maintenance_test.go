package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/vigil-cctv/vigil/internal/audit"
	"github.com/vigil-cctv/vigil/internal/cameras"
)

// TestMaintenanceFaultAudited: over HTTP, a fault raised and acknowledged
// is in the trail as soon as the answer comes, with who did it; a step
// refused (already taken, or a body that is no change) writes nothing.
func TestMaintenanceFaultAudited(t *testing.T) {
	forEachDB(t, func(t *testing.T, dsn string) {
		e := newSigninEnv(t, dsn, func(o *Options) {
			box, err := audit.NewOutbox(context.Background(), o.Store, o.Audit, audit.OutboxOptions{})
			if err != nil {
				t.Fatal(err)
			}
			o.Changes = box
		})
		tok := e.apiToken(e.user("manager", "cctv_manager", "a long enough password", false))
		cam := cameras.Camera{OrganisationID: e.org, Name: "Market", URL: "rtsp://127.0.0.1:1/m", RetentionDays: 31, Enabled: true}
		if err := e.st.CreateCamera(context.Background(), &cam); err != nil {
			t.Fatal(err)
		}

		a := bearer(e, "POST", "/api/v1/maintenance/faults", tok, fmt.Sprintf(`{"camera_id": %d, "kind": "damage", "priority": "P1", "description": "dome cracked"}`, cam.ID))
		var f struct {
			ID       int64  `json:"id"`
			Camera   string `json:"camera"`
			RaisedBy string `json:"raised_by"`
		}
		if a.code != http.StatusCreated || json.Unmarshal([]byte(a.body), &f) != nil || f.Camera != "Market" || f.RaisedBy != "manager" {
			t.Fatalf("raising a fault: got %d %s, want 201, camera Market, raised by manager", a.code, a.body)
		}
		rs := e.audits("fault.raise")
		if want := fmt.Sprintf("fault %d: damage, P1: dome cracked", f.ID); len(rs) != 1 || rs[0].Username != "manager" || rs[0].CameraID != cam.ID || rs[0].Detail != want {
			t.Errorf("fault.raise records: got %+v, want one by manager of camera %d saying %q", rs, cam.ID, want)
		}
		if a := bearer(e, "POST", "/api/v1/maintenance/faults", tok, fmt.Sprintf(`{"camera_id": %d, "kind": "damage", "priority": "P9", "description": "x"}`, cam.ID)); a.code != http.StatusBadRequest {
			t.Errorf("raising a P9 fault: got %d %s, want 400", a.code, a.body)
		}

		path := fmt.Sprintf("/api/v1/maintenance/faults/%d", f.ID)
		for _, step := range []struct {
			body string
			want int
		}{{`{"state": "acknowledged", "note": "on site"}`, http.StatusOK}, {`{"state": "acknowledged"}`, http.StatusConflict}, {`{"state": `, http.StatusBadRequest}} {
			if a := bearer(e, "PATCH", path, tok, step.body); a.code != step.want {
				t.Errorf("PATCH %s: got %d %s, want %d", step.body, a.code, a.body, step.want)
			}
		}
		if a := bearer(e, "PATCH", "/api/v1/maintenance/faults/999999", tok, `{"state": `); a.code != http.StatusNotFound {
			t.Errorf("PATCH of no fault with a broken body: got %d %s, want 404 (before the body is read)", a.code, a.body)
		}
		rs = e.audits("fault.update")
		if want := fmt.Sprintf(`fault %d: state acknowledged, priority P1, note "on site"`, f.ID); len(rs) != 1 || rs[0].Username != "manager" || rs[0].Detail != want {
			t.Errorf("fault.update records: got %+v, want one by manager saying %q", rs, want)
		}
	})
}
