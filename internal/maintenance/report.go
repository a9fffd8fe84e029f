package maintenance

import (
	"fmt"
	"math/big"
	"slices"
	"sort"
	"time"
)

// Availability is one camera's (or the estate's) availability over a
// period: 1 − Offline / Period, where Period is the part of the period
// the camera was in the estate (made and not yet removed) and has
// already passed.
type Availability struct {
	CameraID, OrganisationID int64
	Name                     string
	Period, Offline          time.Duration
	Outages                  int
}

// Basis is the availability in hundredths of a percent (0..10000),
// rounded to the nearest (see share); a camera with no time in the period
// counts as fully available.
func (a Availability) Basis() int64 {
	if a.Period <= 0 {
		return 10000
	}
	return share(int64(a.Period-a.Offline), int64(a.Period))
}

// share is num/den in hundredths of a percent, rounded to the nearest,
// halves up (2 of 3 is 6667, 66.67%), except that only the whole is
// 100.00% and only nothing is 0.00%: a camera down for a second in a
// month is 99.99% available, not 100%. den must be positive and num in
// [0, den]; the sum is done in big integers, since durations in
// nanoseconds times 20000 leave int64 after five days.
func share(num, den int64) int64 {
	n := new(big.Int).Mul(big.NewInt(num), big.NewInt(20000))
	n.Add(n, big.NewInt(den))
	n.Quo(n, new(big.Int).Mul(big.NewInt(den), big.NewInt(2)))
	b := n.Int64()
	switch {
	case num < den && b == 10000:
		return 9999
	case num > 0 && b == 0:
		return 1
	}
	return b
}

// Percent is the availability as "99.87".
func (a Availability) Percent() string {
	b := a.Basis()
	return fmt.Sprintf("%d.%02d", b/100, b%100)
}

// Days is the camera's time in the period in days, to one decimal.
func (a Availability) Days() string {
	tenths := int64(a.Period / (144 * time.Minute))
	return fmt.Sprintf("%d.%d", tenths/10, tenths%10)
}

// OfflineText is the time offline as hours and minutes.
func (a Availability) OfflineText() string { return Hours(a.Offline) }

// Availabilities works out each camera's availability over [from, to) as
// of now from its outages (an outage still open runs to now); a camera
// that was not in the estate at all during the period is left out. The
// second result is the whole estate's: every camera's offline time over
// every camera's time in the period.
func Availabilities(cams []CameraLife, outages []Outage, from, to, now time.Time) ([]Availability, Availability) {
	if now.Before(to) {
		to = now
	}
	byCam := map[int64][]Outage{}
	for _, o := range outages {
		byCam[o.CameraID] = append(byCam[o.CameraID], o)
	}
	var out []Availability
	estate := Availability{Name: "Estate"}
	for _, c := range cams {
		start, end := maxTime(from, c.Since()), to
		if c.Deleted != nil && c.Deleted.Before(end) {
			end = *c.Deleted
		}
		if !start.Before(end) {
			continue
		}
		a := Availability{CameraID: c.ID, OrganisationID: c.OrganisationID, Name: c.Name, Period: end.Sub(start)}
		a.Offline, a.Outages = offline(byCam[c.ID], start, end, now)
		out = append(out, a)
		estate.Period += a.Period
		estate.Offline += a.Offline
		estate.Outages += a.Outages
	}
	return out, estate
}

// offline is the time within [start, end) covered by outages (merged, in
// case two overlap) and how many outages touch it.
func offline(os []Outage, start, end, now time.Time) (time.Duration, int) {
	type span struct{ a, b time.Time }
	var spans []span
	for _, o := range os {
		oe := now
		if o.End != nil {
			oe = *o.End
		}
		a, b := maxTime(o.Start, start), minTime(oe, end)
		if a.Before(b) {
			spans = append(spans, span{a, b})
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].a.Before(spans[j].a) })
	var total time.Duration
	var cur span
	for i, s := range spans {
		switch {
		case i == 0:
			cur = s
		case !s.a.After(cur.b):
			cur.b = maxTime(cur.b, s.b)
		default:
			total += cur.b.Sub(cur.a)
			cur = s
		}
	}
	if len(spans) > 0 {
		total += cur.b.Sub(cur.a)
	}
	return total, len(spans)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Outcome is how a fault stands against one of its targets.
type Outcome string

// The outcomes.
const (
	Met      Outcome = "met"
	Breached Outcome = "breached"
	Pending  Outcome = "pending" // not done yet, not yet due
)

// Progress is a fault measured against its targets at an instant.
type Progress struct {
	// RespondedAt is when the contractor responded: acknowledged, or
	// failing that fixed or closed; FixedAt when it was fixed, or
	// failing that closed.
	RespondedAt, FixedAt *time.Time
	Response, Fix        Outcome
}

// Measure returns the fault's progress as of now.
func Measure(f Fault, now time.Time) Progress {
	var p Progress
	p.RespondedAt = first(f.AcknowledgedAt, f.FixedAt, f.ClosedAt)
	p.FixedAt = first(f.FixedAt, f.ClosedAt)
	p.Response = outcome(p.RespondedAt, f.ResponseDue, now)
	p.Fix = outcome(p.FixedAt, f.FixDue, now)
	return p
}

func first(ts ...*time.Time) *time.Time {
	for _, t := range ts {
		if t != nil {
			return t
		}
	}
	return nil
}

func outcome(done *time.Time, due, now time.Time) Outcome {
	switch {
	case done != nil && !done.After(due):
		return Met
	case done != nil || now.After(due):
		return Breached
	}
	return Pending
}

// Performance is the contractor's record on a set of faults.
type Performance struct {
	Priority string // "" for all priorities
	Raised   int
	// Within target, breached and still pending, for response and fix.
	ResponseMet, ResponseBreached, ResponsePending int
	FixMet, FixBreached, FixPending                int
	// Sums of the times taken by the faults responded to and fixed.
	responseTotal, fixTotal time.Duration
	responded, fixed        int
}

func (p *Performance) add(f Fault, g Progress) {
	p.Raised++
	switch g.Response {
	case Met:
		p.ResponseMet++
	case Breached:
		p.ResponseBreached++
	default:
		p.ResponsePending++
	}
	switch g.Fix {
	case Met:
		p.FixMet++
	case Breached:
		p.FixBreached++
	default:
		p.FixPending++
	}
	if g.RespondedAt != nil {
		p.responded++
		p.responseTotal += g.RespondedAt.Sub(f.RaisedAt)
	}
	if g.FixedAt != nil {
		p.fixed++
		p.fixTotal += g.FixedAt.Sub(f.RaisedAt)
	}
}

// percent is met over decided (met + breached) in hundredths of a
// percent, rounded as share rounds; -1 when nothing is decided yet.
func percent(met, breached int) int64 {
	if met+breached == 0 {
		return -1
	}
	return share(int64(met), int64(met+breached))
}

func showPercent(b int64) string {
	if b < 0 {
		return "—"
	}
	return fmt.Sprintf("%d.%02d", b/100, b%100)
}

// ResponsePercent is the share of decided responses within target, as
// "87.50", or "—" when none is decided.
func (p Performance) ResponsePercent() string {
	return showPercent(percent(p.ResponseMet, p.ResponseBreached))
}

// FixPercent is the same for fixes.
func (p Performance) FixPercent() string { return showPercent(percent(p.FixMet, p.FixBreached)) }

// ResponseBasis and FixBasis are those shares in hundredths of a percent,
// -1 when none is decided: for charts.
func (p Performance) ResponseBasis() int64 { return percent(p.ResponseMet, p.ResponseBreached) }

// FixBasis: see ResponseBasis.
func (p Performance) FixBasis() int64 { return percent(p.FixMet, p.FixBreached) }

// MeanResponse is the mean time to respond of the faults responded to,
// to the minute; 0 when none is.
func (p Performance) MeanResponse() time.Duration { return mean(p.responseTotal, p.responded) }

// MeanResponseText and MeanFixText show them as hours and minutes.
func (p Performance) MeanResponseText() string { return Hours(p.MeanResponse()) }

// MeanFixText: see MeanResponseText.
func (p Performance) MeanFixText() string { return Hours(p.MeanFix()) }

// MeanFix is the mean time to fix.
func (p Performance) MeanFix() time.Duration { return mean(p.fixTotal, p.fixed) }

func mean(total time.Duration, n int) time.Duration {
	if n == 0 {
		return 0
	}
	return (total / time.Duration(n)).Round(time.Minute)
}

// Hours shows a duration as hours and minutes, "26h05m", or "—" for 0.
func Hours(d time.Duration) string {
	if d <= 0 {
		return "—"
	}
	m := int64(d.Round(time.Minute) / time.Minute)
	return fmt.Sprintf("%dh%02dm", m/60, m%60)
}

// FaultLine is one fault of a report with its progress.
type FaultLine struct {
	Fault
	Camera string
	Progress
}

// Report is the contractor's performance in a quarter: the faults raised
// in it (measured against their targets as of the report's instant,
// whenever the breach fell), by priority and in all, and the availability
// of every camera and of the estate over the quarter.
type Report struct {
	Quarter    Quarter
	From, To   time.Time
	At         time.Time
	Contractor string
	Priorities []Performance
	Total      Performance
	Kinds      []KindCount
	Faults     []FaultLine
	Cameras    []Availability
	Estate     Availability
}

// KindCount is how many faults of a kind were raised.
type KindCount struct {
	Kind  string
	Count int
}

// Build makes the report of quarter q as of now from the faults raised in
// it, every camera's life and the outages overlapping it.
func Build(q Quarter, contractor string, faults []Fault, cams []CameraLife, outages []Outage, now time.Time) Report {
	from, to := q.Range()
	r := Report{Quarter: q, From: from, To: to, At: now, Contractor: contractor, Total: Performance{}}
	names := map[int64]string{}
	for _, c := range cams {
		names[c.ID] = c.Name
	}
	byPri := map[string]*Performance{}
	for _, p := range Priorities {
		byPri[p] = &Performance{Priority: p}
	}
	kinds := map[string]int{}
	for _, f := range faults {
		if f.RaisedAt.Before(from) || !f.RaisedAt.Before(to) {
			continue
		}
		g := Measure(f, now)
		r.Faults = append(r.Faults, FaultLine{Fault: f, Camera: names[f.CameraID], Progress: g})
		p, ok := byPri[f.Priority]
		if !ok {
			p = &Performance{Priority: f.Priority}
			byPri[f.Priority] = p
		}
		p.add(f, g)
		r.Total.add(f, g)
		kinds[f.Kind]++
	}
	pris := make([]string, 0, len(byPri))
	for p := range byPri {
		pris = append(pris, p)
	}
	slices.Sort(pris)
	for _, p := range pris {
		r.Priorities = append(r.Priorities, *byPri[p])
	}
	for _, k := range FaultKinds {
		if kinds[k] > 0 {
			r.Kinds = append(r.Kinds, KindCount{Kind: k, Count: kinds[k]})
		}
	}
	sort.Slice(r.Faults, func(i, j int) bool {
		a, b := r.Faults[i], r.Faults[j]
		return a.RaisedAt.Before(b.RaisedAt) || a.RaisedAt.Equal(b.RaisedAt) && a.ID < b.ID
	})
	r.Cameras, r.Estate = Availabilities(cams, outages, from, to, now)
	// Least available first: what the report is read for.
	sort.SliceStable(r.Cameras, func(i, j int) bool { return r.Cameras[i].Basis() < r.Cameras[j].Basis() })
	return r
}
