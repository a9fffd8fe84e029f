package app

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/period"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// TestMaintenanceHTTP: an operator reports a fault on their council's
// camera and not on another's; the manager records the contractor's
// response once; the partner officer's report, CSV and page hold their
// own council's cameras alone.
func TestMaintenanceHTTP(t *testing.T) {
	t.Parallel() // see main_test.go
	f := newRightsFixture(t)
	op, mgr, po := f.user(rights.Operator), f.user(rights.CCTVManager), f.user(rights.PartnerOfficer)
	raise := func(u *roleUser, cam int64) (int, map[string]any) {
		res, b := f.send(u.token, call{method: "POST", path: "/api/v1/maintenance/faults",
			body: map[string]any{"camera_id": cam, "kind": "focus", "priority": "P1", "description": "soft picture"}})
		var m map[string]any
		json.Unmarshal(b, &m)
		return res.StatusCode, m
	}
	code, mine := raise(op, f.camA)
	if code != http.StatusCreated || mine["state"] != "raised" || mine["raised_by"] != "a-operator" || mine["contractor"] == "" {
		t.Fatalf("operator reporting a fault on their camera: got %d %v, want 201, raised by a-operator, assigned", code, mine)
	}
	if code, m := raise(op, f.camB); code != http.StatusNotFound {
		t.Errorf("operator reporting on another council's camera: got %d %v, want 404", code, m)
	}
	theirs := f.fault(false)
	id := int64(mine["id"].(float64))

	for _, step := range []struct {
		who  *roleUser
		want int
	}{{op, http.StatusForbidden}, {mgr, http.StatusOK}, {mgr, http.StatusConflict}} {
		res, b := f.send(step.who.token, call{method: "PATCH", path: fmt.Sprintf("/api/v1/maintenance/faults/%d", id), body: map[string]any{"state": "acknowledged", "note": "engineer booked", "priority": "P2"}})
		if res.StatusCode != step.want {
			t.Errorf("%s acknowledging: got %d %s, want %d", step.who.role, res.StatusCode, b, step.want)
		}
	}

	got, err := f.st.Fault(t.Context(), id)
	mustDo(t, err)
	if got.Priority != "P2" || got.AcknowledgedBy != "a-cctv_manager" || !got.FixDue.Equal(got.RaisedAt.Add(48*time.Hour)) {
		t.Errorf("after the manager's change: got %+v, want P2, due 48h after it was raised, acknowledged by a-cctv_manager", got)
	}

	q := period.Of(time.Now()).String()
	for _, u := range []*roleUser{po, mgr} {
		t.Run(string(u.role), func(t *testing.T) {
			res, b := f.send(u.token, call{method: "GET", path: "/api/v1/maintenance/report?quarter=" + q})
			var rep struct {
				Faults  []int64 `json:"faults"`
				Cameras []struct {
					CameraID int64 `json:"camera_id"`
				} `json:"cameras"`
				Total struct {
					Raised          int    `json:"raised"`
					ResponsePercent string `json:"response_within_target_percent"`
				} `json:"total"`
			}
			if res.StatusCode != 200 || json.Unmarshal(b, &rep) != nil {
				t.Fatalf("report: got %d %s", res.StatusCode, b)
			}
			var cams []int64
			for _, c := range rep.Cameras {
				cams = append(cams, c.CameraID)
			}
			if !slices.Contains(rep.Faults, id) || slices.Contains(rep.Faults, theirs) || !slices.Contains(cams, f.camA) || slices.Contains(cams, f.camB) {
				t.Errorf("report: got faults %v and cameras %v, want %d and camera %d, nothing of Council B's (%d, camera %d)", rep.Faults, cams, id, f.camA, theirs, f.camB)
			}
			if rep.Total.ResponsePercent != "100.00" {
				t.Errorf("responses within target: got %s, want 100.00 (acknowledged at once)", rep.Total.ResponsePercent)
			}

			res, b = f.send(u.token, call{method: "GET", path: "/api/v1/maintenance/report?format=csv&table=faults&quarter=" + q})
			rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
			if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") || err != nil || len(rows) < 2 {
				t.Fatalf("faults CSV: got %d %q %v %s", res.StatusCode, res.Header.Get("Content-Type"), err, b)
			}
			if rows[0][0] != "id" || slices.ContainsFunc(rows[1:], func(r []string) bool { return r[0] == fmt.Sprint(theirs) }) {
				t.Errorf("faults CSV: got %v, want a header and none of Council B's fault %d", rows, theirs)
			}
			res, b = f.send(u.token, call{method: "GET", path: "/api/v1/maintenance/availability?format=csv"})
			rows, err = csv.NewReader(bytes.NewReader(b)).ReadAll()
			if res.StatusCode != 200 || err != nil || len(rows) != 3 || rows[1][0] != fmt.Sprint(f.camA) || rows[2][1] != "Estate" {
				t.Errorf("availability CSV: got %d %v, want a header, camera A and the estate", res.StatusCode, rows)
			}

			res, b = f.send(u.token, call{method: "GET", path: "/maintenance/report?quarter=" + q})
			if res.StatusCode != 200 || !bytes.Contains(b, []byte("<svg")) || !bytes.Contains(b, []byte("Camera A")) || bytes.Contains(b, []byte("Camera B")) {
				t.Errorf("report page: got %d, want 200 with a chart, camera A and not camera B:\n%s", res.StatusCode, b)
			}
			res, b = f.send(u.token, call{method: "GET", path: "/maintenance?from=2026-01-01&to=2099-01-01"})
			if res.StatusCode != 200 || !bytes.Contains(b, []byte(`id="availability"`)) || !bytes.Contains(b, []byte("Camera A")) || bytes.Contains(b, []byte("Camera B")) {
				t.Errorf("maintenance page: got %d, want 200 with availability, camera A and not camera B:\n%s", res.StatusCode, b)
			}
		})
	}
}
