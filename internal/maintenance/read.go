package maintenance

import (
	"context"
	"errors"
	"time"

	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// Who reads what: anyone who may do anything to a camera may report a
// fault on it (an operator sees a smashed dome first); the fault list, the
// availability figures and the contractor's report are for those who
// manage cameras or read the figures, each over the cameras of the
// organisations in their scope; recording the contractor's progress or
// changing a priority is managing the camera.

// Reads reports whether p may read maintenance records anywhere.
func Reads(p rights.Principal) bool {
	h := p.Holds()
	return h.Has(rights.ManageCameras) || h.Has(rights.ReadFinance)
}

// ErrNoRead refuses the figures to those who may not read them anywhere.
var ErrNoRead = problem.Forbiddenf("only those who manage cameras or read the figures see faults, availability and the contractor's report")

// inScope says whether c may read the maintenance records of organisation
// org's cameras.
func (c Caller) inScope() func(org int64) bool {
	seen := map[int64]bool{}
	return func(org int64) bool {
		v, ok := seen[org]
		if !ok {
			v = c.Rights.CanOrg(c.Principal, rights.ManageCameras, org).Allowed || c.Rights.CanOrg(c.Principal, rights.ReadFinance, org).Allowed
			seen[org] = v
		}
		return v
	}
}

// View is the maintenance record as one caller may read it: the cameras
// of their scope (removed ones too, whose faults and availability
// remain), and the names faults are shown with.
type View struct {
	// Cameras are those of the caller's scope, by id.
	Cameras     []CameraLife
	cams        map[int64]CameraLife
	contractors map[int64]string
	in          func(org int64) bool
}

// CameraName is the name of camera id ("" if there is none).
func (v View) CameraName(id int64) string { return v.cams[id].Name }

// ContractorName is the name of contractor id ("" if none).
func (v View) ContractorName(id int64) string { return v.contractors[id] }

// sees reports whether the view holds camera id.
func (v View) sees(id int64) bool {
	c, ok := v.cams[id]
	return ok && v.in(c.OrganisationID)
}

// View loads the record as c may read it. It refuses no one: a caller
// who reads nothing sees no cameras.
func (s *Service) View(ctx context.Context, c Caller) (View, error) {
	lives, err := s.repo.CameraLives(ctx)
	if err != nil {
		return View{}, err
	}
	cs, err := s.repo.Contractors(ctx)
	if err != nil {
		return View{}, err
	}
	v := View{cams: map[int64]CameraLife{}, contractors: map[int64]string{}, in: c.inScope()}
	for _, l := range lives {
		v.cams[l.ID] = l
		if v.in(l.OrganisationID) {
			v.Cameras = append(v.Cameras, l)
		}
	}
	for _, ct := range cs {
		v.contractors[ct.ID] = ct.Name
	}
	return v, nil
}

// Faults lists the faults of v's cameras that filter selects, newest
// first, for a caller who reads maintenance records.
func (s *Service) Faults(ctx context.Context, c Caller, v View, filter FaultFilter) ([]Fault, error) {
	if !Reads(c.Principal) {
		return nil, ErrNoRead
	}
	return s.faults(ctx, v, filter)
}

func (s *Service) faults(ctx context.Context, v View, filter FaultFilter) ([]Fault, error) {
	fs, err := s.repo.ListFaults(ctx, filter)
	if err != nil {
		return nil, err
	}
	out := []Fault{}
	for _, f := range fs {
		if v.sees(f.CameraID) {
			out = append(out, f)
		}
	}
	return out, nil
}

// Fault returns fault id if its camera is in c's scope; otherwise "no
// fault N".
func (s *Service) Fault(ctx context.Context, c Caller, id int64) (Fault, View, error) {
	f, err := s.repo.Fault(ctx, id)
	if errors.Is(err, problem.ErrNotFound) {
		return Fault{}, View{}, problem.Notf("no fault %d", id)
	} else if err != nil {
		return Fault{}, View{}, err
	}
	v, err := s.View(ctx, c)
	if err != nil {
		return Fault{}, View{}, err
	}
	if !v.sees(f.CameraID) {
		return Fault{}, View{}, problem.Notf("no fault %d", f.ID)
	}
	return f, v, nil
}

// AvailabilityFigures are the cameras' availability over a period, the
// estate's, and the outages behind them.
type AvailabilityFigures struct {
	From, To time.Time
	Cameras  []Availability
	Estate   Availability
	Outages  []Outage
}

// Availability works out the availability of v's cameras over [from, to)
// as of now, for a caller who reads maintenance records.
func (s *Service) Availability(ctx context.Context, c Caller, v View, from, to time.Time) (AvailabilityFigures, error) {
	if !Reads(c.Principal) {
		return AvailabilityFigures{}, ErrNoRead
	}
	outages, err := s.repo.Outages(ctx, 0, from, to)
	if err != nil {
		return AvailabilityFigures{}, err
	}
	a := AvailabilityFigures{From: from, To: to, Outages: []Outage{}}
	a.Cameras, a.Estate = Availabilities(v.Cameras, outages, from, to, s.now().UTC())
	in := map[int64]bool{}
	for _, cam := range v.Cameras {
		in[cam.ID] = true
	}
	for _, o := range outages {
		if in[o.CameraID] {
			a.Outages = append(a.Outages, o)
		}
	}
	return a, nil
}

// Report is the contractor's report of quarter q over v's cameras, as of
// now, for a caller who reads maintenance records.
func (s *Service) Report(ctx context.Context, c Caller, v View, q Quarter) (Report, error) {
	if !Reads(c.Principal) {
		return Report{}, ErrNoRead
	}
	from, to := q.Range()
	faults, err := s.faults(ctx, v, FaultFilter{RaisedFrom: from, RaisedTo: to, Limit: 10000})
	if err != nil {
		return Report{}, err
	}
	outages, err := s.repo.Outages(ctx, 0, from, to)
	if err != nil {
		return Report{}, err
	}
	return Build(q, s.policy.Contractor, faults, v.Cameras, outages, s.now().UTC()), nil
}

// CameraChoice is a camera a caller may report a fault on, and whether
// they may also move its faults on (manage it).
type CameraChoice struct {
	ID     int64
	Name   string
	Manage bool
}

// Reportable lists the cameras c may report a fault on (any they may do
// anything to), by id.
func (s *Service) Reportable(ctx context.Context, c Caller) ([]CameraChoice, error) {
	lives, err := s.repo.CameraLives(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out []CameraChoice
	for _, l := range lives {
		if l.Deleted != nil {
			continue
		}
		on := c.Rights.On(c.Principal, rights.Camera{ID: l.ID, Org: l.OrganisationID}, now)
		if on != 0 {
			out = append(out, CameraChoice{ID: l.ID, Name: l.Name, Manage: on.Has(rights.ManageCameras)})
		}
	}
	return out, nil
}
