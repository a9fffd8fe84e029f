// Package maintenance keeps the camera estate's maintenance record: it
// watches the running cameras and writes each one's outages (its
// availability history), raises a fault when a camera stays offline too
// long, and works out from that record the response and fix deadlines of
// faults, their breaches, each camera's availability over any period and
// the contractor's performance in a quarter.
//
// It owns its model (faults, outages, contractors, the cameras' lives)
// and its rules: the Service raises and moves on faults and reads the
// record for those whose rights let them, and the Watcher records what
// the cameras do; each change commits in one transaction with its audit
// record, through a Repo the store implements.
//
// Targets run on the clock, 24 hours a day, 7 days a week: a P1 fault
// raised on Friday evening is due a response four hours later, not on
// Monday. Contracts that count working hours only are not modelled.
package maintenance

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/period"
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

// Quarter is a quarter of a financial year (April to March), which the
// contractor's report covers: Quarter is 1..4 (package period).
type Quarter = period.Period

// ValidPriority reports whether p is one of Priorities.
func ValidPriority(p string) bool { return slices.Contains(Priorities, p) }
