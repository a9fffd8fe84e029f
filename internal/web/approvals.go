package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/approvals"
	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/footage"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/store"
)

// Four eyes. An organisation can require a second person's approval for
// exporting its cameras' footage and for changing anyone's rights (roles,
// sharing agreements, camera groups that are shared, the organisation
// tree, these policies). The approver must be someone other than the
// requester who holds the same right over the same thing; no role,
// administrators' included, skips the rule. Nor may an account decide a
// change of its own roles, or a request by or about an account it made
// or that made it (approvals.Service.Independent). A policy follows what
// it protects: a move of a camera or an organisation under a policy for
// any action waits, and footage answers to every organisation that owned
// its camera while it was recorded.
//
// An export is asked for with POST /api/v1/approvals; once approved, the
// requester alone downloads it, for a day, by adding approval=ID to the
// video URL. A change of rights asked for through its own route answers
// 202 with the pending request, and is made when it is approved.

const maxReason = 200

// The kinds of request, by the names this package has long used.
const (
	kindExport        = approvals.KindExport
	kindSetRoles      = approvals.KindSetRoles
	kindCreateSharing = approvals.KindCreateSharing
	kindUpdateSharing = approvals.KindUpdateSharing
	kindSetFourEyes   = approvals.KindSetFourEyes
	kindMoveOrg       = approvals.KindMoveOrg
	kindUpdateGroup   = approvals.KindUpdateGroup
	kindMoveCamera    = approvals.KindMoveCamera
)

// change is a change of rights, made at once or held for approval (the
// handlers of people and cameras build them too).
type change = approvals.Change

// holdWhen says when a change waits for a second person: always, or
// when a policy on any of orgs (or above them) asks four eyes for any of
// actions.
type holdWhen struct {
	actions []string
	orgs    []int64
	// always, when set, is the organisation the change concerns, and the
	// change waits whatever the policies say.
	always int64
}

func (h holdWhen) hold() approvals.Hold {
	return approvals.Hold{Actions: h.actions, Orgs: h.orgs, Always: h.always}
}

// initAccess makes the services of access and approvals: each change
// they make commits with its audit record, through the outbox.
func (s *Server) initAccess() error {
	change := changerFor[*store.Store](s.opt.Changes, s.st)
	now := func() time.Time { return s.now() }
	s.accessSvc = access.New(s.st, changerFor[access.Repo](s.opt.Changes, s.st), s.changed, now)
	s.approvalSvc = approvals.New(s.st, change, approvals.Options[*store.Store]{Appliers: s.appliers(), After: s.afterChange, Now: now, People: s.id})
	return nil
}

// applier is an approvals.Applier over the store.
type applier = approvals.ApplierFunc[*store.Store]

// appliers make the changes of rights, each in the transaction the
// approvals service holds: those of access by its service, a camera's
// move by the store's own move.
func (s *Server) appliers() map[string]approvals.Applier[*store.Store] {
	acc := s.accessSvc
	return map[string]approvals.Applier[*store.Store]{
		kindSetRoles: applier(func(ctx context.Context, tx *store.Store, by auditlog.Actor, ch change, note string) (any, error) {
			return nil, acc.SetRolesIn(ctx, tx, by, ch.UserID, ch.Roles, note)
		}),
		kindCreateSharing: applier(func(ctx context.Context, tx *store.Store, by auditlog.Actor, ch change, note string) (any, error) {
			if ch.Agreement == nil {
				return nil, problem.Invalidf("the request names no agreement")
			}
			a := *ch.Agreement
			a.ID = 0
			return acc.SaveAgreementIn(ctx, tx, by, a, note)
		}),
		kindUpdateSharing: applier(func(ctx context.Context, tx *store.Store, by auditlog.Actor, ch change, note string) (any, error) {
			if ch.Agreement == nil || ch.Agreement.ID == 0 {
				return nil, problem.Invalidf("the request names no agreement")
			}
			return acc.SaveAgreementIn(ctx, tx, by, *ch.Agreement, note)
		}),
		kindSetFourEyes: applier(func(ctx context.Context, tx *store.Store, by auditlog.Actor, ch change, note string) (any, error) {
			return acc.SetFourEyesIn(ctx, tx, by, ch.OrgID, ch.FourEyes, note)
		}),
		kindMoveOrg: applier(func(ctx context.Context, tx *store.Store, by auditlog.Actor, ch change, note string) (any, error) {
			if ch.Org == nil {
				return nil, problem.Invalidf("the request names no organisation")
			}
			return acc.MoveOrganisationIn(ctx, tx, by, *ch.Org, note)
		}),
		kindUpdateGroup: applier(func(ctx context.Context, tx *store.Store, by auditlog.Actor, ch change, note string) (any, error) {
			if ch.Group == nil {
				return nil, problem.Invalidf("the request names no camera group")
			}
			return acc.UpdateGroupIn(ctx, tx, by, *ch.Group, note)
		}),
		kindMoveCamera: applier(s.moveCameraIn),
	}
}

// afterChange follows a change of rights once committed: the snapshot
// reloads, and a moved camera's live views answer to its new owner.
func (s *Server) afterChange(ch change) {
	s.changed()
	if ch.Kind == kindMoveCamera {
		s.liveMoved(ch.CameraID, ch.OrgID)
	}
}

// moveCameraIn makes a move_camera in tx: the store moves the camera and
// what no longer holds it, and dates the change of owner today for the
// recharge. The camera records on, its address unchanged; live views are
// checked against its new owner by the review loop.
func (s *Server) moveCameraIn(ctx context.Context, tx *store.Store, by auditlog.Actor, ch change, note string) (any, error) {
	mv, err := tx.MoveCamera(ctx, ch.CameraID, ch.OrgID, s.now(), by.UserID)
	var ie *store.InvalidError
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, problem.New(problem.ErrNotFound, fmt.Sprintf("camera %d or organisation %d no longer exists", ch.CameraID, ch.OrgID), err)
	case errors.As(err, &ie):
		return nil, problem.New(problem.ErrInvalid, ie.Msg, err)
	case errors.Is(err, store.ErrConflict):
		return nil, problem.New(problem.ErrConflict, "the organisation already has a camera of that name", err)
	case err != nil:
		return nil, err
	}
	c, err := tx.Camera(ctx, ch.CameraID)
	if err != nil {
		return nil, err
	}
	detail := fmt.Sprintf("camera %d (%s): organisation %d to %d, from %s; left camera groups %v, sharing agreements %v",
		c.ID, c.Name, mv.From, mv.To, mv.Event.Day.Format(time.DateOnly), mv.Groups, mv.Agreements)
	if mv.From == mv.To {
		// Moved there by someone else while the request waited.
		detail = fmt.Sprintf("camera %d (%s): already of organisation %d, nothing moved", c.ID, c.Name, mv.To)
	}
	e := by.Entry(auditlog.RightsMoveCamera, detail+note)
	e.CameraID, e.At = c.ID, s.now().UTC()
	return c, tx.Log(e)
}

// requestActor is who acts in r, for the audit records of the changes
// it makes.
func requestActor(r *http.Request) auditlog.Actor {
	return userActor(userFrom(r.Context()), r)
}

// accessCaller is who asks in r, as the access service judges them.
func (s *Server) accessCaller(r *http.Request) access.Caller {
	a := accessFrom(r.Context())
	return access.Caller{Actor: requestActor(r), P: a.p, Snap: a.snap}
}

// approvalCaller is who asks in r, as the approvals service judges them.
func approvalCaller(r *http.Request) approvals.Caller {
	a := accessFrom(r.Context())
	return approvals.Caller{Actor: requestActor(r), P: a.p, Snap: a.snap}
}

// propose makes a change of rights at once, answering code with what it
// made, or, where a four-eyes policy on any of policyOrgs (or above them)
// asks for a second person, holds it and answers 202 with the request.
func (s *Server) propose(w http.ResponseWriter, r *http.Request, ch change, code int, summary, reason string, policyOrgs ...int64) error {
	return s.proposeUnder(w, r, ch, code, summary, reason, holdWhen{actions: []string{rights.FourEyesRights}, orgs: policyOrgs})
}

// applyNow makes a change of rights that never waits, answering code
// with what it made.
func (s *Server) applyNow(w http.ResponseWriter, r *http.Request, ch change, code int) error {
	return s.proposeUnder(w, r, ch, code, "", "", holdWhen{})
}

// proposeUnder is propose with its own rule for when the change waits.
func (s *Server) proposeUnder(w http.ResponseWriter, r *http.Request, ch change, code int, summary, reason string, hold holdWhen) error {
	a := accessFrom(r.Context())
	res, err := s.approvalSvc.Propose(r.Context(), requestActor(r), a.snap,
		approvals.Proposal{Change: ch, Hold: hold.hold(), Summary: summary, Reason: reason})
	if err != nil {
		return refusal(err)
	}
	if res.Pending != nil {
		out, err := s.approvalJSON(r.Context(), a, *res.Pending, nil)
		if err != nil {
			return err
		}
		w.Header().Set("Location", fmt.Sprintf("/api/v1/approvals/%d", res.Pending.ID))
		writeJSON(w, http.StatusAccepted, out)
		return nil
	}
	out, err := s.madeJSON(r.Context(), a, ch, res.Made)
	if err != nil {
		return err
	}
	writeJSON(w, code, out)
	return nil
}

// madeJSON is what a change made, as the API shows it.
func (s *Server) madeJSON(ctx context.Context, a *signedIn, ch change, made any) (any, error) {
	switch v := made.(type) {
	case access.Organisation:
		return s.orgJSON(ctx, v), nil
	case access.CameraGroup:
		return groupJSONOf(v), nil
	case access.SharingAgreement:
		return s.agreementJSON(ctx, v)
	case cameras.Camera:
		return s.oneCameraJSON(ctx, a, v, a.snap.On(a.p, rightsCamera(v), s.now())), nil
	}
	if ch.Kind == kindSetRoles {
		u, err := s.st.User(ctx, ch.UserID)
		if err != nil {
			return nil, err
		}
		return s.userJSON(ctx, u, "")
	}
	return nil, fmt.Errorf("web: nothing to show of a change %q", ch.Kind)
}

// approvalJSON is a request as the API shows it.
type approvalJSON struct {
	ID          int64      `json:"id"`
	Action      string     `json:"action"`
	Kind        string     `json:"kind"`
	Summary     string     `json:"summary"`
	Reason      string     `json:"reason"`
	CameraID    *int64     `json:"camera_id"`
	Start       *time.Time `json:"start"`
	End         *time.Time `json:"end"`
	RequestedBy int64      `json:"requested_by"`
	Requester   string     `json:"requester"`
	RequestedAt time.Time  `json:"requested_at"`
	// State is pending, approved (an export: downloadable until
	// expires_at), rejected, applied (a change made), failed (approved,
	// but the change could no longer be made) or expired.
	State     string     `json:"state"`
	DecidedBy *int64     `json:"decided_by"`
	Decider   string     `json:"decider"`
	DecidedAt *time.Time `json:"decided_at"`
	Note      string     `json:"note"`
	ExpiresAt time.Time  `json:"expires_at"`
	// Download is the approved export's URL, for its requester.
	Download string `json:"download,omitempty"`
	// CanDecide: the signed-in user may approve or reject it.
	CanDecide bool `json:"can_decide"`
}

func (s *Server) approvalJSON(ctx context.Context, a *signedIn, ap approvals.Approval, names map[int64]string) (approvalJSON, error) {
	name := func(id int64) string {
		if n, ok := names[id]; ok {
			return n
		}
		if u, err := s.st.User(ctx, id); err == nil {
			return u.Username
		}
		return fmt.Sprintf("user %d (deleted)", id)
	}
	out := approvalJSON{
		ID: ap.ID, Action: ap.Action, Kind: ap.Kind, Summary: ap.Summary, Reason: ap.Reason, Start: ap.RangeStart, End: ap.RangeEnd,
		RequestedBy: ap.RequestedBy, Requester: name(ap.RequestedBy), RequestedAt: ap.RequestedAt, State: ap.State,
		DecidedAt: ap.DecidedAt, Note: ap.Note, ExpiresAt: ap.ExpiresAt,
	}
	if ap.CameraID != 0 {
		out.CameraID = &ap.CameraID
	}
	if ap.DecidedBy != 0 {
		out.DecidedBy, out.Decider = &ap.DecidedBy, name(ap.DecidedBy)
	}
	if ap.Kind == kindExport && ap.State == approvals.Approved && ap.RequestedBy == a.user.ID && s.now().Before(ap.ExpiresAt) {
		q := url.Values{}
		q.Set("start", ap.RangeStart.Format(time.RFC3339Nano))
		q.Set("end", ap.RangeEnd.Format(time.RFC3339Nano))
		q.Set("download", "1")
		q.Set("approval", strconv.FormatInt(ap.ID, 10))
		if ap.Reason != "" {
			q.Set("reason", ap.Reason)
		}
		out.Download = fmt.Sprintf("/api/v1/cameras/%d/video.mp4?%s", ap.CameraID, q.Encode())
	}
	// Who may decide is the service's to say; only who asks counts.
	by := auditlog.Actor{UserID: a.user.ID, Username: a.user.Username, OrganisationID: a.user.OrganisationID}
	out.CanDecide = s.approvalSvc.CanDecide(ctx, approvals.Caller{Actor: by, P: a.p, Snap: a.snap}, ap)
	return out, nil
}

// visibleApproval returns a request its requester, or someone who could
// decide it, may see; anyone else gets a 404 (approvals.Service.Get).
func (s *Server) visibleApproval(r *http.Request) (approvals.Approval, error) {
	id, err := pathID(r, "request")
	if err != nil {
		return approvals.Approval{}, err
	}
	ap, err := s.approvalSvc.Get(r.Context(), approvalCaller(r), id)
	return ap, refusal(err)
}

func (s *Server) listApprovals(w http.ResponseWriter, r *http.Request) error {
	a := accessFrom(r.Context())
	list, err := s.approvalSvc.List(r.Context(), approvalCaller(r), r.URL.Query().Get("state"))
	if err != nil {
		return refusal(err)
	}
	users, err := s.st.ListUsers(r.Context())
	if err != nil {
		return err
	}
	names := map[int64]string{}
	for _, u := range users {
		names[u.ID] = u.Username
	}
	out := []approvalJSON{}
	for _, ap := range list {
		j, err := s.approvalJSON(r.Context(), a, ap, names)
		if err != nil {
			return err
		}
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getApproval(w http.ResponseWriter, r *http.Request) error {
	ap, err := s.visibleApproval(r)
	if err != nil {
		return err
	}
	out, err := s.approvalJSON(r.Context(), accessFrom(r.Context()), ap, nil)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// exportRequest is the body of POST /api/v1/approvals.
type exportRequest struct {
	CameraID int64     `json:"camera_id"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Reason   string    `json:"reason"`
	// DryRun asks whether exporting the range needs approval, asking
	// nothing: the console's export dialog asks it for the marked range
	// of every camera, since the answer depends on who owned the camera
	// while the range was recorded, not only on its owner now.
	DryRun bool `json:"dry_run"`
}

// exportDecisionJSON answers a dry run of POST /api/v1/approvals.
type exportDecisionJSON struct {
	DryRun   bool      `json:"dry_run"`
	CameraID int64     `json:"camera_id"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	// NeedsApproval: the export must be asked for (the same request
	// without dry_run); otherwise it is downloaded directly.
	NeedsApproval bool `json:"needs_approval"`
	// PolicyOf names the organisation whose policy asks for approval.
	PolicyOf string `json:"policy_of,omitempty"`
	// Message says it in a sentence for the user.
	Message string `json:"message"`
}

// requestExport asks for a second person's approval of an export.
func (s *Server) requestExport(w http.ResponseWriter, r *http.Request) error {
	var in exportRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	d, err := s.footage.RequestExport(r.Context(), footageCaller(r), footage.ExportRequest{CameraID: in.CameraID, Start: in.Start, End: in.End, Reason: in.Reason, DryRun: in.DryRun})
	if err != nil {
		return refusal(err)
	}
	if d.DryRun {
		// The same decision the download makes, so the console offers
		// what the server will accept.
		writeJSON(w, http.StatusOK, exportDecisionJSON{DryRun: true, CameraID: d.CameraID, Start: d.Start, End: d.End, NeedsApproval: d.NeedsApproval,
			PolicyOf: d.PolicyOf, Message: d.Message})
		return nil
	}
	out, err := s.approvalJSON(r.Context(), accessFrom(r.Context()), d.Approval, nil)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/approvals/%d", d.Approval.ID))
	writeJSON(w, http.StatusAccepted, out)
	return nil
}

// decision is the optional body of approve and reject.
type decision struct {
	Note string `json:"note"`
}

func (s *Server) approve(w http.ResponseWriter, r *http.Request) error { return s.decide(w, r, true) }
func (s *Server) reject(w http.ResponseWriter, r *http.Request) error  { return s.decide(w, r, false) }

func (s *Server) decide(w http.ResponseWriter, r *http.Request, ok bool) error {
	ap, err := s.visibleApproval(r)
	if err != nil {
		return err
	}
	var in decision
	if err := decodeOptionalJSON(r, &in); err != nil {
		return err
	}
	a := accessFrom(r.Context())
	// The service refuses a long note and a decider too close to the
	// request.
	decided, err := s.approvalSvc.Decide(r.Context(), approvalCaller(r), ap.ID, ok, in.Note)
	var failed *approvals.FailedError
	switch {
	case errors.As(err, &failed):
		s.log.Warn("an approved change of rights could not be made", "approval", ap.ID, "err", failed.Err)
		decided = failed.Approval
	case err != nil:
		return refusal(err)
	case ok && ap.Kind == kindDeleteFootage:
		if decided, err = s.carryOutDeletion(r, decided); err != nil {
			s.log.Warn("an approved deletion of footage failed", "approval", ap.ID, "err", err)
		}
	}
	out, err := s.approvalJSON(r.Context(), a, decided, nil)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// decodeOptionalJSON is decodeJSON for a body that may be left out.
func decodeOptionalJSON(r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	if r.ContentLength < 0 {
		// Chunked: peek for an empty body.
		b, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		if err != nil {
			return badRequest("the body could not be read")
		}
		if len(strings.TrimSpace(string(b))) == 0 {
			return nil
		}
		r.Body = io.NopCloser(strings.NewReader(string(b)))
	}
	return decodeJSON(r, v)
}
