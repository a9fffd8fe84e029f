package maintenance

import "time"

// Contractor is the maintenance contractor faults are assigned to: a
// named record, not an organisation of the tree, since the contractor
// holds no cameras and signs in to nothing; the CCTV manager records its
// responses.
type Contractor struct {
	ID        int64
	Name      string
	Contact   string
	CreatedAt time.Time
}

// Outage is a stretch of time a camera gave no video: the availability
// history. End is nil while the outage lasts.
type Outage struct {
	ID, CameraID int64
	Start        time.Time
	End          *time.Time
	// Reason is why the video stopped (the connection's last error);
	// EndReason why the outage was closed.
	Reason, EndReason string
}

// CameraLife is when a camera was part of the estate, for availability:
// from its installation (or its creation in Vigil when no installation
// date is recorded) to its removal (nil while it remains). It is all
// maintenance needs of a camera, so that it does not depend on the
// cameras' own model.
type CameraLife struct {
	ID, OrganisationID int64
	Name               string
	Enabled            bool
	Created            time.Time
	// Installed is the day the camera's finance history says it was
	// installed (its first "installed" event); nil when it has none.
	Installed *time.Time
	Deleted   *time.Time
}

// Since is when the camera joined the estate: its installation day when
// one is recorded, else when it was made in Vigil. Time before it is not
// the camera's, up or down: a camera recorded as installed on 1 April
// 2025 but added to Vigil later counts from 1 April, and one added ahead
// of its installation counts from the day it went up.
func (c CameraLife) Since() time.Time {
	if c.Installed != nil {
		return *c.Installed
	}
	return c.Created
}

// Fault states, in the order a fault passes through them; a step may be
// skipped (a fault fixed before anyone acknowledged it), never retraced.
const (
	FaultRaised       = "raised"
	FaultAcknowledged = "acknowledged" // the contractor responded
	FaultFixed        = "fixed"
	FaultClosed       = "closed" // the partnership confirmed the fix
)

// FaultStates lists the states in order.
var FaultStates = []string{FaultRaised, FaultAcknowledged, FaultFixed, FaultClosed}

// Fault kinds.
const (
	FaultOffline     = "offline"
	FaultPicture     = "picture_quality"
	FaultFocus       = "focus"
	FaultObstruction = "obstruction"
	FaultDamage      = "damage"
	FaultOther       = "other"
)

// FaultKinds lists the kinds.
var FaultKinds = []string{FaultOffline, FaultPicture, FaultFocus, FaultObstruction, FaultDamage, FaultOther}

// Fault is a camera fault and its progress. Who did each step is kept as
// the name they had then ("vigil" for what Vigil did itself), so the
// record reads the same after an account is removed.
type Fault struct {
	ID, CameraID   int64
	Kind, Priority string
	State          string
	Description    string
	// Automatic: raised by Vigil for an outage (OutageID), not a person.
	Automatic    bool
	OutageID     int64
	ContractorID int64
	RaisedAt     time.Time
	RaisedBy     string
	// ResponseDue and FixDue are the deadlines the fault's priority gave
	// it.
	ResponseDue, FixDue time.Time
	AcknowledgedAt      *time.Time
	AcknowledgedBy      string
	FixedAt             *time.Time
	FixedBy             string
	ClosedAt            *time.Time
	ClosedBy            string
	Note                string
}

// MaxFaultText bounds a fault's description and notes, in bytes.
const MaxFaultText = 4000

// FaultFilter narrows a list of faults; zero fields do not.
type FaultFilter struct {
	CameraID int64
	// Open: only faults not yet closed.
	Open bool
	// Unfixed: only faults neither fixed nor closed.
	Unfixed bool
	// Automatic: only those Vigil raised.
	Automatic bool
	// RaisedFrom and RaisedTo bound when the fault was raised, [from, to).
	RaisedFrom, RaisedTo time.Time
	Limit                int
}
