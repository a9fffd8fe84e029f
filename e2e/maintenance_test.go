package e2e

import (
	"encoding/csv"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/internal/auth"
)

// TestConsoleMaintenance: in a real Chromium (maintenance.mjs), Lea Vale's
// operator reports a fault on a Lea Vale camera and sees no list of
// faults; the manager finds it, records the contractor's response, and
// reads the quarter's report, its chart and its CSV.
func TestConsoleMaintenance(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a browser through two people's sessions")
	}
	d := startDemo(t, 4, 0)
	var cams []struct {
		ID           int64
		Organisation string
	}
	d.getJSON(t, "/api/v1/cameras", &cams)
	i := slices.IndexFunc(cams, func(c struct {
		ID           int64
		Organisation string
	}) bool {
		return c.Organisation == "Lea Vale Borough Council"
	})
	if i < 0 {
		t.Fatalf("the demo's cameras %+v: want one of Lea Vale's", cams)
	}
	res := browserScript(t, "maintenance.mjs", map[string]any{
		"base": d.base, "accounts": d.accounts, "newPassword": auth.RandomPassword(), "camera": cams[i].ID,
	})

	op := field[struct {
		Nav     []string `json:"nav"`
		Cameras []int64  `json:"cameras"`
		Lists   int      `json:"lists"`
		Status  string   `json:"status"`
	}](t, res, "operator")
	if !slices.Contains(op.Nav, "Maintenance") || !slices.Contains(op.Cameras, cams[i].ID) || op.Lists != 0 || !strings.HasPrefix(op.Status, "Fault ") {
		t.Errorf("the operator: got %+v, want Maintenance in the navigation, camera %d offered, no list of faults, the fault reported", op, cams[i].ID)
	}
	for _, c := range cams {
		if c.Organisation != "Lea Vale Borough Council" && slices.Contains(op.Cameras, c.ID) {
			t.Errorf("the operator was offered %s's camera %d", c.Organisation, c.ID)
		}
	}
	id := strings.Fields(op.Status)[1]

	m := field[struct {
		Before       string   `json:"before"`
		After        string   `json:"after"`
		Note         string   `json:"note"`
		Chart        int      `json:"chart"`
		Estate       string   `json:"estate"`
		ReportFaults []string `json:"reportFaults"`
		CSVName      string   `json:"csvName"`
		CSV          string   `json:"csv"`
	}](t, res, "manager")
	if m.Before != "raised" || m.After != "acknowledged" || !strings.Contains(m.Note, "engineer booked for tomorrow") {
		t.Errorf("the manager's response: got %q then %q (row %q), want raised then acknowledged with the note", m.Before, m.After, m.Note)
	}
	if m.Chart == 0 || !strings.HasSuffix(m.Estate, "%") || !slices.Contains(m.ReportFaults, id) {
		t.Errorf("the report: got %d bars, estate %q, faults %v, want a chart, the estate's availability and fault %s", m.Chart, m.Estate, m.ReportFaults, id)
	}
	rows, err := csv.NewReader(strings.NewReader(m.CSV)).ReadAll()
	if err != nil || !strings.HasSuffix(m.CSVName, "-priorities.csv") || len(rows) != 6 || rows[0][0] != "priority" || rows[5][0] != "all" {
		t.Errorf("the CSV %s: got %v (%v), want a header, P1 to P4 and all", m.CSVName, rows, err)
	}
}
