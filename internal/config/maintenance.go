package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Maintenance says when a camera counts as offline, when Vigil raises a
// fault for it, and the maintenance contractor's targets.
type Maintenance struct {
	// OfflineAfter is how long a camera must be without video before an
	// outage is recorded (dated from when the video stopped).
	OfflineAfter Duration `toml:"offline_after"`
	// OfflineFaultAfter is how long an outage lasts before an offline
	// fault is raised.
	OfflineFaultAfter Duration `toml:"offline_fault_after"`
	// CheckInterval is how often camera states are looked at.
	CheckInterval Duration `toml:"check_interval"`
	// OfflinePriority is the priority of the faults Vigil raises: P1 to P4.
	OfflinePriority string `toml:"offline_priority"`
	// Contractor is the name of the maintenance contractor faults are
	// assigned to.
	Contractor string `toml:"contractor"`
	// Targets override the response and fix targets of priorities, as
	// [maintenance.targets.P1] response = "4h", fix = "24h"; those not
	// given keep the built-in ones (P1 4h/24h, P2 8h/48h, P3 24h/5 days,
	// P4 72h/10 days). They run on the clock, 24/7.
	Targets map[string]Target `toml:"targets"`
}

// Target is one priority's response and fix targets.
type Target struct {
	Response Duration `toml:"response"`
	Fix      Duration `toml:"fix"`
}

// maintenancePriorities are the priorities a fault can have.
var maintenancePriorities = []string{"P1", "P2", "P3", "P4"}

func (m Maintenance) validate() []error {
	var errs []error
	if m.OfflineAfter.Duration < 0 {
		errs = append(errs, errors.New("maintenance.offline_after is negative"))
	}
	if m.OfflineFaultAfter.Duration < m.OfflineAfter.Duration {
		errs = append(errs, fmt.Errorf("maintenance.offline_fault_after %s is shorter than maintenance.offline_after %s", m.OfflineFaultAfter, m.OfflineAfter))
	}
	if d := m.CheckInterval.Duration; d < 10*time.Millisecond || d > 10*time.Minute {
		errs = append(errs, fmt.Errorf("maintenance.check_interval %s is outside 10ms..10m", m.CheckInterval))
	}
	if !slices.Contains(maintenancePriorities, m.OfflinePriority) {
		errs = append(errs, fmt.Errorf("maintenance.offline_priority %q is not one of %s", m.OfflinePriority, strings.Join(maintenancePriorities, ", ")))
	}
	if strings.TrimSpace(m.Contractor) == "" {
		errs = append(errs, errors.New("maintenance.contractor is empty"))
	}
	for p, t := range m.Targets {
		switch {
		case !slices.Contains(maintenancePriorities, p):
			errs = append(errs, fmt.Errorf("maintenance.targets.%s: not one of %s", p, strings.Join(maintenancePriorities, ", ")))
		case t.Response.Duration <= 0 || t.Fix.Duration <= 0:
			errs = append(errs, fmt.Errorf("maintenance.targets.%s needs a response and a fix time", p))
		case t.Fix.Duration < t.Response.Duration:
			errs = append(errs, fmt.Errorf("maintenance.targets.%s: fix %s is sooner than response %s", p, t.Fix, t.Response))
		}
	}
	return errs
}
