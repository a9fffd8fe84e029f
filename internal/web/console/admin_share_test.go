package console

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// TestHome: each role that may not view live video lands where its work
// is.
func TestHome(t *testing.T) {
	for _, tc := range []struct {
		name string
		can  permissions
		want string
	}{
		{"administrator", permissions{Manage: true, Users: true, Approvals: true}, "/admin/cameras"},
		{"user manager", permissions{Users: true}, "/admin/people"},
		{"data protection officer", permissions{Audit: true}, "/audit"},
		{"finance", permissions{Finance: true, Works: true, Trading: true}, "/finance"},
		{"partner officer", permissions{Playback: true, Export: true}, "/playback"},
		{"nobody in particular", permissions{}, "/map"},
	} {
		if got := home(tc.can); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestSharingTimeline: a bar per agreement in its partner's lane, the
// conditional one hatched, and today marked.
func TestSharingTimeline(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	ends := now.AddDate(0, 0, 1)
	rows := []agreementRow{
		{SharingAgreement: access.SharingAgreement{ID: 1, Reference: "DSA 1", Rights: []string{"view_live"}, StartsAt: now.AddDate(0, 0, -1), EndsAt: &ends},
			Grantor: "Lea Vale", Grantee: "Shire Constabulary", What: "group Town centre", Active: true},
		{SharingAgreement: access.SharingAgreement{ID: 2, Reference: "DSA <2>", Rights: []string{"play_back"}, StartsAt: now, Condition: rights.WhileIncidentOpen},
			Grantor: "Lea Vale", Grantee: "Shire Constabulary", What: "all cameras"},
	}
	svg := string(sharingTimeline(rows, now, time.UTC))
	for _, want := range []string{`data-partner="Shire Constabulary"`, `data-id="1"`, `data-id="2"`, `fill="url(#cond)"`, `class="now"`, "DSA &lt;2&gt;", "only while an incident is open"} {
		if !strings.Contains(svg, want) {
			t.Errorf("got a timeline without %q, want it:\n%s", want, svg)
		}
	}
	if got := strings.Count(svg, `data-partner=`); got != 1 {
		t.Errorf("got %d partner lanes, want 1", got)
	}
	if sharingTimeline(nil, now, time.UTC) != "" {
		t.Error("got a timeline of nothing, want none")
	}
}
