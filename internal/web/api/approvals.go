package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/approvals"
	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/footage"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
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

// accessCaller is who asks in r, as the access service judges them.
func (s *API) accessCaller(r *http.Request) access.Caller {
	a := httpx.AccessOf(r.Context())
	return access.Caller{Actor: httpx.Actor(r), P: a.P, Snap: a.Snap}
}

// approvalCaller is who asks in r, as the approvals service judges them.
func approvalCaller(r *http.Request) approvals.Caller {
	a := httpx.AccessOf(r.Context())
	return approvals.Caller{Actor: httpx.Actor(r), P: a.P, Snap: a.Snap}
}

// propose makes a change of rights at once, answering code with what it
// made, or, where a four-eyes policy on any of policyOrgs (or above them)
// asks for a second person, holds it and answers 202 with the request.
func (s *API) propose(w http.ResponseWriter, r *http.Request, ch change, code int, summary, reason string, policyOrgs ...int64) error {
	return s.proposeUnder(w, r, ch, code, summary, reason, holdWhen{actions: []string{rights.FourEyesRights}, orgs: policyOrgs})
}

// applyNow makes a change of rights that never waits, answering code
// with what it made.
func (s *API) applyNow(w http.ResponseWriter, r *http.Request, ch change, code int) error {
	return s.proposeUnder(w, r, ch, code, "", "", holdWhen{})
}

// proposeUnder is propose with its own rule for when the change waits.
func (s *API) proposeUnder(w http.ResponseWriter, r *http.Request, ch change, code int, summary, reason string, hold holdWhen) error {
	a := httpx.AccessOf(r.Context())
	res, err := s.approvalSvc.Propose(r.Context(), httpx.Actor(r), a.Snap,
		approvals.Proposal{Change: ch, Hold: hold.hold(), Summary: summary, Reason: reason})
	if err != nil {
		return httpx.Refusal(err)
	}
	if res.Pending != nil {
		out, err := s.approvalJSON(r.Context(), a, *res.Pending, nil)
		if err != nil {
			return err
		}
		w.Header().Set("Location", fmt.Sprintf("/api/v1/approvals/%d", res.Pending.ID))
		httpx.WriteJSON(w, http.StatusAccepted, out)
		return nil
	}
	out, err := s.madeJSON(r.Context(), a, ch, res.Made)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, code, out)
	return nil
}

// madeJSON is what a change made, as the API shows it.
func (s *API) madeJSON(ctx context.Context, a *httpx.Access, ch change, made any) (any, error) {
	switch v := made.(type) {
	case access.Organisation:
		return s.orgJSON(ctx, v), nil
	case access.CameraGroup:
		return groupJSONOf(v), nil
	case access.SharingAgreement:
		return s.agreementJSON(ctx, v)
	case cameras.Camera:
		return s.oneCameraJSON(ctx, a, v, a.Snap.On(a.P, rightsCamera(v), s.now())), nil
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

func (s *API) approvalJSON(ctx context.Context, a *httpx.Access, ap approvals.Approval, names map[int64]string) (approvalJSON, error) {
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
	if ap.Kind == kindExport && ap.State == approvals.Approved && ap.RequestedBy == a.User.ID && s.now().Before(ap.ExpiresAt) {
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
	by := auditlog.Actor{UserID: a.User.ID, Username: a.User.Username, OrganisationID: a.User.OrganisationID}
	out.CanDecide = s.approvalSvc.CanDecide(ctx, approvals.Caller{Actor: by, P: a.P, Snap: a.Snap}, ap)
	return out, nil
}

// visibleApproval returns a request its requester, or someone who could
// decide it, may see; anyone else gets a 404 (approvals.Service.Get).
func (s *API) visibleApproval(r *http.Request) (approvals.Approval, error) {
	id, err := httpx.PathID(r, "request")
	if err != nil {
		return approvals.Approval{}, err
	}
	ap, err := s.approvalSvc.Get(r.Context(), approvalCaller(r), id)
	return ap, httpx.Refusal(err)
}

func (s *API) listApprovals(w http.ResponseWriter, r *http.Request) error {
	a := httpx.AccessOf(r.Context())
	list, err := s.approvalSvc.List(r.Context(), approvalCaller(r), r.URL.Query().Get("state"))
	if err != nil {
		return httpx.Refusal(err)
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
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *API) getApproval(w http.ResponseWriter, r *http.Request) error {
	ap, err := s.visibleApproval(r)
	if err != nil {
		return err
	}
	out, err := s.approvalJSON(r.Context(), httpx.AccessOf(r.Context()), ap, nil)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, out)
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
func (s *API) requestExport(w http.ResponseWriter, r *http.Request) error {
	var in exportRequest
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	d, err := s.footage.RequestExport(r.Context(), footageCaller(r), footage.ExportRequest{CameraID: in.CameraID, Start: in.Start, End: in.End, Reason: in.Reason, DryRun: in.DryRun})
	if err != nil {
		return httpx.Refusal(err)
	}
	if d.DryRun {
		// The same decision the download makes, so the console offers
		// what the server will accept.
		httpx.WriteJSON(w, http.StatusOK, exportDecisionJSON{DryRun: true, CameraID: d.CameraID, Start: d.Start, End: d.End, NeedsApproval: d.NeedsApproval,
			PolicyOf: d.PolicyOf, Message: d.Message})
		return nil
	}
	out, err := s.approvalJSON(r.Context(), httpx.AccessOf(r.Context()), d.Approval, nil)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/approvals/%d", d.Approval.ID))
	httpx.WriteJSON(w, http.StatusAccepted, out)
	return nil
}

// decision is the optional body of approve and reject.
type decision struct {
	Note string `json:"note"`
}

func (s *API) approve(w http.ResponseWriter, r *http.Request) error { return s.decide(w, r, true) }
func (s *API) reject(w http.ResponseWriter, r *http.Request) error  { return s.decide(w, r, false) }

func (s *API) decide(w http.ResponseWriter, r *http.Request, ok bool) error {
	ap, err := s.visibleApproval(r)
	if err != nil {
		return err
	}
	var in decision
	if err := httpx.DecodeOptionalJSON(r, &in); err != nil {
		return err
	}
	a := httpx.AccessOf(r.Context())
	// The service refuses a long note and a decider too close to the
	// request.
	decided, err := s.approvalSvc.Decide(r.Context(), approvalCaller(r), ap.ID, ok, in.Note)
	var failed *approvals.FailedError
	switch {
	case errors.As(err, &failed):
		s.log.Warn("an approved change of rights could not be made", "approval", ap.ID, "err", failed.Err)
		decided = failed.Approval
	case err != nil:
		return httpx.Refusal(err)
	case ok && ap.Kind == kindDeleteFootage:
		if decided, err = s.carryOutDeletion(r, decided); err != nil {
			s.log.Warn("an approved deletion of footage failed", "approval", ap.ID, "err", err)
		}
	}
	out, err := s.approvalJSON(r.Context(), a, decided, nil)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}
