package maintenance

import (
	"testing"
	"time"
)

func day(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }

func tp(t time.Time) *time.Time { return &t }

// TestAvailability: over November (30 days), as of 1 December.
func TestAvailability(t *testing.T) {
	from, to, now := day(11, 1), day(12, 1), day(12, 1)
	for _, tc := range []struct {
		name    string
		cam     CameraLife
		outages []Outage
		period  time.Duration
		offline time.Duration
		percent string
		left    bool // out of the period altogether
	}{
		{name: "never down", cam: CameraLife{ID: 1, Created: day(1, 1)}, period: 30 * 24 * time.Hour, percent: "100.00"},
		{name: "three days down", cam: CameraLife{ID: 1, Created: day(1, 1)},
			outages: []Outage{{CameraID: 1, Start: day(11, 10), End: tp(day(11, 13))}},
			period:  30 * 24 * time.Hour, offline: 72 * time.Hour, percent: "90.00"},
		{name: "an outage begun before the period counts from its start", cam: CameraLife{ID: 1, Created: day(1, 1)},
			outages: []Outage{{CameraID: 1, Start: day(10, 20), End: tp(day(11, 4))}},
			period:  30 * 24 * time.Hour, offline: 72 * time.Hour, percent: "90.00"},
		{name: "an open outage runs to now", cam: CameraLife{ID: 1, Created: day(1, 1)},
			outages: []Outage{{CameraID: 1, Start: day(11, 28)}},
			period:  30 * 24 * time.Hour, offline: 72 * time.Hour, percent: "90.00"},
		{name: "overlapping outages count once", cam: CameraLife{ID: 1, Created: day(1, 1)},
			outages: []Outage{{CameraID: 1, Start: day(11, 10), End: tp(day(11, 12))}, {CameraID: 1, Start: day(11, 11), End: tp(day(11, 13))}},
			period:  30 * 24 * time.Hour, offline: 72 * time.Hour, percent: "90.00"},
		{name: "installed mid-month counts for its days", cam: CameraLife{ID: 1, Created: day(11, 16)},
			outages: []Outage{{CameraID: 1, Start: day(11, 20), End: tp(day(11, 21))}},
			period:  15 * 24 * time.Hour, offline: 24 * time.Hour, percent: "93.33"},
		{name: "removed mid-month counts until then", cam: CameraLife{ID: 1, Created: day(1, 1), Deleted: tp(day(11, 11))},
			outages: []Outage{{CameraID: 1, Start: day(11, 10)}},
			period:  10 * 24 * time.Hour, offline: 24 * time.Hour, percent: "90.00"},
		{name: "down a second in the month is not 100%", cam: CameraLife{ID: 1, Created: day(1, 1)},
			outages: []Outage{{CameraID: 1, Start: day(11, 10), End: tp(day(11, 10).Add(time.Second))}},
			period:  30 * 24 * time.Hour, offline: time.Second, percent: "99.99"},
		{name: "installed after the period", cam: CameraLife{ID: 1, Created: day(12, 2)}, left: true},
		{name: "installed before it was added to Vigil counts from its installation", cam: CameraLife{ID: 1, Created: day(11, 29), Installed: tp(day(4, 1))},
			outages: []Outage{{CameraID: 1, Start: day(11, 10), End: tp(day(11, 11))}},
			period:  30 * 24 * time.Hour, offline: 24 * time.Hour, percent: "96.67"},
		{name: "added ahead of its installation counts from the day it went up", cam: CameraLife{ID: 1, Created: day(1, 1), Installed: tp(day(11, 16))},
			outages: []Outage{{CameraID: 1, Start: day(11, 1), End: tp(day(11, 21))}},
			period:  15 * 24 * time.Hour, offline: 5 * 24 * time.Hour, percent: "66.67"},
		{name: "installed after the period though made before", cam: CameraLife{ID: 1, Created: day(1, 1), Installed: tp(day(12, 5))}, left: true},
		{name: "another camera's outage", cam: CameraLife{ID: 1, Created: day(1, 1)},
			outages: []Outage{{CameraID: 2, Start: day(11, 10)}},
			period:  30 * 24 * time.Hour, percent: "100.00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, estate := Availabilities([]CameraLife{tc.cam}, tc.outages, from, to, now)
			if tc.left {
				if len(got) != 0 || estate.Period != 0 {
					t.Fatalf("got %+v, want the camera left out", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("got %d cameras, want 1", len(got))
			}
			a := got[0]
			if a.Period != tc.period || a.Offline != tc.offline || a.Percent() != tc.percent {
				t.Errorf("got period %v offline %v = %s%%, want %v, %v = %s%%", a.Period, a.Offline, a.Percent(), tc.period, tc.offline, tc.percent)
			}
			if estate.Period != a.Period || estate.Offline != a.Offline {
				t.Errorf("estate: got %+v, want the one camera's figures", estate)
			}
		})
	}
}

// TestReport: a quarter's faults measured against their targets.
func TestReport(t *testing.T) {
	q := Quarter{Year: 2026, Quarter: 3} // October to December 2026
	raised := day(10, 5)
	fault := func(id int64, pri string, ack, fixed *time.Time) Fault {
		resp, fix, err := Policy{}.Due(pri, raised)
		if err != nil {
			t.Fatal(err)
		}
		return Fault{ID: id, CameraID: 1, Kind: FaultFocus, Priority: pri, RaisedAt: raised, ResponseDue: resp, FixDue: fix,
			AcknowledgedAt: ack, FixedAt: fixed}
	}
	faults := []Fault{
		// P1: 4h response, 24h fix.
		fault(1, "P1", tp(raised.Add(2*time.Hour)), tp(raised.Add(20*time.Hour))), // both met
		fault(2, "P1", tp(raised.Add(5*time.Hour)), tp(raised.Add(30*time.Hour))), // both breached
		fault(3, "P1", nil, tp(raised.Add(3*time.Hour))),                          // fixed before acknowledged: responded then
		// P4: not yet due as of the report.
		fault(4, "P4", nil, nil),
		// Raised in the previous quarter: not in this report.
		{ID: 5, CameraID: 1, Kind: FaultOther, Priority: "P1", RaisedAt: day(9, 30), ResponseDue: day(9, 30), FixDue: day(9, 30)},
	}
	now := raised.Add(48 * time.Hour)
	cams := []CameraLife{{ID: 1, Name: "Market Square", Created: day(1, 1)}}
	r := Build(q, "Acme", faults, cams, nil, now)
	p1 := r.Priorities[0]
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"faults in the report", len(r.Faults), 4},
		{"total raised", r.Total.Raised, 4},
		{"P1 raised", p1.Raised, 3},
		{"P1 responses met", p1.ResponseMet, 2},
		{"P1 responses breached", p1.ResponseBreached, 1},
		{"P1 response %", p1.ResponsePercent(), "66.67"}, // 2 of 3, to the nearest hundredth
		{"P1 fix %", p1.FixPercent(), "66.67"},
		{"P1 mean response", p1.MeanResponse(), (2*time.Hour + 5*time.Hour + 3*time.Hour) / 3},
		{"P1 mean fix", Hours(p1.MeanFix()), "17h40m"},
		{"P4 response pending", r.Priorities[3].ResponsePending, 1},
		{"P4 response %", r.Priorities[3].ResponsePercent(), "—"},
		{"priorities listed", len(r.Priorities), 4},
		{"kinds", len(r.Kinds), 1},
		{"camera availability", r.Estate.Percent(), "100.00"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %v, want %v", c.got, c.want)
			}
		})
	}
}

// TestShare: percentages round to the nearest hundredth, halves up, but
// only all is 100% and only nothing 0%.
func TestShare(t *testing.T) {
	month := int64(30 * 24 * time.Hour)
	for _, tc := range []struct {
		name     string
		num, den int64
		want     int64
	}{
		{"2 of 3", 2, 3, 6667},
		{"1 of 3", 1, 3, 3333},
		{"7 of 8", 7, 8, 8750},
		{"a half-hundredth rounds up", 1, 20000, 1},
		{"all", 5, 5, 10000},
		{"none", 0, 5, 0},
		{"all but one in 30000 is not 100%", 29999, 30000, 9999},
		{"one in 30000 is not 0%", 1, 30000, 1},
		{"a month less a second, in nanoseconds", month - int64(time.Second), month, 9999},
		{"a year less a day, in nanoseconds", 364 * 24 * int64(time.Hour), 365 * 24 * int64(time.Hour), 9973},
	} {
		if got := share(tc.num, tc.den); got != tc.want {
			t.Errorf("%s: got share(%d, %d) = %d, want %d", tc.name, tc.num, tc.den, got, tc.want)
		}
	}
}

// TestPerformancePercent: the share of targets met, as the report shows it.
func TestPerformancePercent(t *testing.T) {
	for _, tc := range []struct {
		met, breached int
		want          string
	}{
		{2, 1, "66.67"},
		{1, 2, "33.33"},
		{3, 0, "100.00"},
		{0, 3, "0.00"},
		{0, 0, "—"},
	} {
		p := Performance{ResponseMet: tc.met, ResponseBreached: tc.breached}
		if got := p.ResponsePercent(); got != tc.want {
			t.Errorf("%d met, %d breached: got %s, want %s", tc.met, tc.breached, got, tc.want)
		}
	}
}
