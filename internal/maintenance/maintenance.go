// Package maintenance keeps the camera estate's maintenance record: it
// watches the running cameras and writes each one's outages (its
// availability history), raises a fault when a camera stays offline too
// long, and works out from that record the response and fix deadlines of
// faults, their breaches, each camera's availability over any period and
// the contractor's performance in a quarter.
//
// Targets run on the clock, 24 hours a day, 7 days a week: a P1 fault
// raised on Friday evening is due a response four hours later, not on
// Monday. Contracts that count working hours only are not modelled.
package maintenance

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Target is how soon a fault of one priority must be responded to and
// fixed, from when it is raised.
type Target struct {
	Response, Fix time.Duration
}

// Priorities are the fault priorities, most urgent first.
var Priorities = []string{"P1", "P2", "P3", "P4"}

// DefaultTargets are the usual targets of a CCTV maintenance contract.
var DefaultTargets = map[string]Target{
	"P1": {Response: 4 * time.Hour, Fix: 24 * time.Hour},
	"P2": {Response: 8 * time.Hour, Fix: 48 * time.Hour},
	"P3": {Response: 24 * time.Hour, Fix: 5 * 24 * time.Hour},
	"P4": {Response: 72 * time.Hour, Fix: 10 * 24 * time.Hour},
}

// Policy is how the partnership runs maintenance.
type Policy struct {
	// Targets by priority; a priority missing here takes DefaultTargets'.
	Targets map[string]Target
	// OfflineAfter is how long a camera must be without video before
	// an outage is recorded (dated from when the video stopped): a
	// reconnection of a few seconds is not an outage.
	OfflineAfter time.Duration
	// FaultAfter is how long an outage lasts before Vigil raises an
	// offline fault.
	FaultAfter time.Duration
	// OfflinePriority is the priority of the faults Vigil raises.
	OfflinePriority string
	// Contractor is the name of the maintenance contractor new faults
	// are assigned to.
	Contractor string
}

// Target returns the target of a priority.
func (p Policy) Target(priority string) (Target, bool) {
	if t, ok := p.Targets[priority]; ok {
		return t, true
	}
	t, ok := DefaultTargets[priority]
	return t, ok
}

// Due returns the response and fix deadlines of a fault of priority
// raised at raised.
func (p Policy) Due(priority string, raised time.Time) (response, fix time.Time, err error) {
	t, ok := p.Target(priority)
	if !ok {
		return time.Time{}, time.Time{}, fmt.Errorf("%q is not a priority; they are %s", priority, strings.Join(Priorities, ", "))
	}
	return raised.Add(t.Response), raised.Add(t.Fix), nil
}

// Quarter is a quarter of a financial year (April to March): Q1 is April
// to June of Year, Q4 January to March of Year+1.
type Quarter struct {
	Year, Q int
}

// ParseQuarter reads "2024/25-Q2".
func ParseQuarter(s string) (Quarter, error) {
	bad := fmt.Errorf("%q is not a quarter like 2024/25-Q2", s)
	fy, q, ok := strings.Cut(strings.TrimSpace(s), "-Q")
	if !ok {
		return Quarter{}, bad
	}
	y1, y2, ok := strings.Cut(fy, "/")
	if !ok {
		return Quarter{}, bad
	}
	year, err1 := strconv.Atoi(y1)
	next, err2 := strconv.Atoi(y2)
	n, err3 := strconv.Atoi(q)
	if err1 != nil || err2 != nil || err3 != nil || len(y1) != 4 || len(y2) != 2 || next != (year+1)%100 || n < 1 || n > 4 {
		return Quarter{}, bad
	}
	return Quarter{Year: year, Q: n}, nil
}

// QuarterOf is the quarter holding t (UTC).
func QuarterOf(t time.Time) Quarter {
	t = t.UTC()
	m := int(t.Month())
	if m < 4 {
		return Quarter{Year: t.Year() - 1, Q: 4}
	}
	return Quarter{Year: t.Year(), Q: (m-4)/3 + 1}
}

// String is "2024/25-Q2".
func (q Quarter) String() string { return fmt.Sprintf("%d/%02d-Q%d", q.Year, (q.Year+1)%100, q.Q) }

// Range is the quarter as a half-open UTC interval [from, to).
func (q Quarter) Range() (from, to time.Time) {
	from = time.Date(q.Year, time.Month(4+3*(q.Q-1)), 1, 0, 0, 0, 0, time.UTC)
	return from, from.AddDate(0, 3, 0)
}

// Prev is the quarter before.
func (q Quarter) Prev() Quarter {
	if q.Q == 1 {
		return Quarter{Year: q.Year - 1, Q: 4}
	}
	return Quarter{Year: q.Year, Q: q.Q - 1}
}

// Next is the quarter after.
func (q Quarter) Next() Quarter {
	if q.Q == 4 {
		return Quarter{Year: q.Year + 1, Q: 1}
	}
	return Quarter{Year: q.Year, Q: q.Q + 1}
}

// ValidPriority reports whether p is one of Priorities.
func ValidPriority(p string) bool { return slices.Contains(Priorities, p) }
