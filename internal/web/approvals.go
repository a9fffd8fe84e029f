package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/playback"
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
// or that made it (grants.go). A policy follows what it protects: a move
// of a camera or an organisation under a policy for any action waits,
// and footage answers to every organisation that owned its camera while
// it was recorded.
//
// An export is asked for with POST /api/v1/approvals; once approved, the
// requester alone downloads it, for a day, by adding approval=ID to the
// video URL. A change of rights asked for through its own route answers
// 202 with the pending request, and is made when it is approved.

const (
	// approvalLife is how long a request waits for a decision.
	approvalLife = 7 * 24 * time.Hour
	// exportWindow is how long an approved export may be downloaded.
	exportWindow = 24 * time.Hour
	maxReason    = 200
)

// Kinds of request.
const (
	kindExport        = "export"
	kindSetRoles      = "set_roles"
	kindCreateSharing = "create_agreement"
	kindUpdateSharing = "update_agreement"
	kindSetFourEyes   = "set_four_eyes"
	kindMoveOrg       = "move_organisation"
	kindUpdateGroup   = "update_group"
	kindMoveCamera    = "move_camera"
)

// change is a change of rights, made at once or held for approval.
type change struct {
	Kind string `json:"kind"`
	// Need is the right an approver must hold in every one of Orgs: the
	// same the requester needed to ask.
	Need rights.Action `json:"need"`
	Orgs []int64       `json:"orgs"`

	UserID    int64                   `json:"user_id,omitempty"`
	Roles     []store.UserRole        `json:"roles,omitempty"`
	Agreement *store.SharingAgreement `json:"agreement,omitempty"`
	OrgID     int64                   `json:"org_id,omitempty"`
	FourEyes  []string                `json:"four_eyes,omitempty"`
	Org       *store.Organisation     `json:"org,omitempty"`
	Group     *store.CameraGroup      `json:"group,omitempty"`
	// CameraID is the camera a move_camera gives to OrgID.
	CameraID int64 `json:"camera_id,omitempty"`
}

// applyChange makes a change and says what it did, for the audit trail.
func (s *Server) applyChange(ctx context.Context, ch change) (any, string, error) {
	defer s.changed()
	switch ch.Kind {
	case kindSetRoles:
		if err := s.st.SetUserRoles(ctx, ch.UserID, ch.Roles); err != nil {
			return nil, "", storeError(err, "")
		}
		u, err := s.st.User(ctx, ch.UserID)
		if err != nil {
			return nil, "", err
		}
		s.changed()
		out, err := s.userJSON(ctx, u, "")
		return out, fmt.Sprintf("user %s: roles %s", u.Username, describeUserRoles(ch.Roles)), err
	case kindCreateSharing, kindUpdateSharing:
		a := *ch.Agreement
		var err error
		if ch.Kind == kindCreateSharing {
			err = s.st.CreateSharingAgreement(ctx, &a)
		} else {
			err = s.st.UpdateSharingAgreement(ctx, &a)
		}
		if err != nil {
			return nil, "", storeError(err, "")
		}
		s.changed()
		out, err := s.agreementJSON(ctx, a)
		return out, fmt.Sprintf("sharing agreement %d (%s): %s", a.ID, a.Reference, strings.Join(a.Rights, " ")), err
	case kindSetFourEyes:
		if err := s.st.SetFourEyes(ctx, ch.OrgID, ch.FourEyes); err != nil {
			return nil, "", storeError(err, "")
		}
		o, err := s.st.Organisation(ctx, ch.OrgID)
		if err != nil {
			return nil, "", err
		}
		s.changed()
		return s.orgJSON(ctx, o), fmt.Sprintf("organisation %s: four eyes for %q", o.Name, ch.FourEyes), nil
	case kindMoveOrg:
		o := *ch.Org
		if err := s.st.UpdateOrganisation(ctx, &o); err != nil {
			return nil, "", storeError(err, fmt.Sprintf("an organisation named %q already exists", o.Name))
		}
		s.changed()
		return s.orgJSON(ctx, o), fmt.Sprintf("organisation %s: parent %d", o.Name, o.ParentID), nil
	case kindUpdateGroup:
		g := *ch.Group
		if err := s.st.UpdateCameraGroup(ctx, &g); err != nil {
			return nil, "", storeError(err, fmt.Sprintf("the organisation already has a camera group named %q", g.Name))
		}
		s.changed()
		return groupJSONOf(g), fmt.Sprintf("camera group %d (%s): cameras %v", g.ID, g.Name, g.Cameras), nil
	case kindMoveCamera:
		return s.moveCamera(ctx, ch)
	}
	return nil, "", fmt.Errorf("web: unknown change %q", ch.Kind)
}

// propose makes a change of rights at once, answering code with what it
// made, or, where a four-eyes policy on any of policyOrgs (or above them)
// asks for a second person, holds it and answers 202 with the request.
func (s *Server) propose(w http.ResponseWriter, r *http.Request, ch change, code int, summary, reason string, policyOrgs ...int64) error {
	return s.proposeUnder(w, r, ch, code, summary, reason, holdWhen{actions: []string{rights.FourEyesRights}, orgs: policyOrgs})
}

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

// by is the organisation, and the policy's action, that holds a change;
// false when nothing does.
func (h holdWhen) by(snap *rights.Snapshot) (int64, string, bool) {
	for _, org := range h.orgs {
		for _, act := range h.actions {
			if need, by := snap.NeedsApproval(org, act); need {
				return by, act, true
			}
		}
	}
	if h.always != 0 {
		return h.always, rights.FourEyesRights, true
	}
	return 0, "", false
}

// proposeUnder is propose with its own rule for when the change waits.
func (s *Server) proposeUnder(w http.ResponseWriter, r *http.Request, ch change, code int, summary, reason string, hold holdWhen) error {
	a := accessFrom(r.Context())
	if by, act, need := hold.by(a.snap); need {
		payload, err := json.Marshal(ch)
		if err != nil {
			return err
		}
		ap := store.Approval{OrganisationID: by, Action: act, Kind: ch.Kind, Payload: string(payload),
			Summary: summary, Reason: reason, RequestedBy: a.user.ID, ExpiresAt: s.now().Add(approvalLife)}
		if err := s.st.CreateApproval(r.Context(), &ap); err != nil {
			return err
		}
		if err := s.audit(r, auditlog.ApprovalRequest, 0, nil, nil, fmt.Sprintf("request %d: %s", ap.ID, summary)); err != nil {
			return err
		}
		out, err := s.approvalJSON(r.Context(), a, ap, nil)
		if err != nil {
			return err
		}
		w.Header().Set("Location", fmt.Sprintf("/api/v1/approvals/%d", ap.ID))
		writeJSON(w, http.StatusAccepted, out)
		return nil
	}
	out, detail, err := s.applyChange(r.Context(), ch)
	if err != nil {
		return err
	}
	if err := s.audit(r, changeAction[ch.Kind], ch.CameraID, nil, nil, detail); err != nil {
		return err
	}
	writeJSON(w, code, out)
	return nil
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

func (s *Server) approvalJSON(ctx context.Context, a *access, ap store.Approval, names map[int64]string) (approvalJSON, error) {
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
	if ap.Kind == kindExport && ap.State == store.ApprovalApproved && ap.RequestedBy == a.user.ID && s.now().Before(ap.ExpiresAt) {
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
	out.CanDecide = ap.State == store.ApprovalPending && ap.RequestedBy != a.user.ID && s.mayDecide(ctx, a, ap) &&
		s.independent(ctx, a.user.ID, ap) == nil
	return out, nil
}

// mayDecide reports whether the user holds, over what the request
// concerns, the right its requester needed. Being the requester is
// checked apart.
func (s *Server) mayDecide(ctx context.Context, a *access, ap store.Approval) bool {
	switch ap.Kind {
	case kindExport, kindDeleteFootage:
		need := rights.Export
		if ap.Kind == kindDeleteFootage {
			need = rights.ManageCameras
		}
		c, err := s.st.Camera(ctx, ap.CameraID)
		return err == nil && a.snap.Can(a.p, need, rightsCamera(c), s.now()).Allowed
	}
	var ch change
	if err := json.Unmarshal([]byte(ap.Payload), &ch); err != nil || len(ch.Orgs) == 0 {
		return false
	}
	for _, org := range ch.Orgs {
		if !a.snap.CanOrg(a.p, ch.Need, org).Allowed {
			return false
		}
	}
	return true
}

// visibleApproval returns a request its requester, or someone who could
// decide it, may see; anyone else gets a 404.
func (s *Server) visibleApproval(r *http.Request) (store.Approval, error) {
	id, err := pathID(r, "request")
	if err != nil {
		return store.Approval{}, err
	}
	ap, err := s.st.Approval(r.Context(), id)
	a := accessFrom(r.Context())
	if errors.Is(err, store.ErrNotFound) || err == nil && ap.RequestedBy != a.user.ID && !s.mayDecide(r.Context(), a, ap) {
		return ap, errorf(http.StatusNotFound, fmt.Sprintf("no request %d", id), nil)
	}
	return ap, err
}

func (s *Server) listApprovals(w http.ResponseWriter, r *http.Request) error {
	state := r.URL.Query().Get("state")
	switch state {
	case "", store.ApprovalPending, store.ApprovalApproved, store.ApprovalRejected, store.ApprovalApplied, store.ApprovalFailed, store.ApprovalExpired:
	default:
		return badRequest("state must be pending, approved, rejected, applied, failed or expired")
	}
	list, err := s.st.ListApprovals(r.Context(), state, 1000)
	if err != nil {
		return err
	}
	users, err := s.st.ListUsers(r.Context())
	if err != nil {
		return err
	}
	names := map[int64]string{}
	for _, u := range users {
		names[u.ID] = u.Username
	}
	a := accessFrom(r.Context())
	out := []approvalJSON{}
	for _, ap := range list {
		if ap.RequestedBy != a.user.ID && !s.mayDecide(r.Context(), a, ap) {
			continue
		}
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

// approvalNeeded says, for the user, why an export needs approval: the
// organisation whose policy asks it, which may be one that owned the
// camera while the footage was recorded and owns it no longer.
func approvalNeeded(a *access, c cameras.Camera, by int64) (string, string) {
	name := fmt.Sprintf("organisation %d", by)
	if o, ok := a.snap.Org(by); ok && o.Name != "" {
		name = o.Name
	}
	if by == c.OrganisationID {
		return name, fmt.Sprintf("exporting this footage needs a second person's approval: %s asks for it", name)
	}
	return name, fmt.Sprintf("exporting this footage needs a second person's approval: it was recorded while %s, which asks for it, owned the camera", name)
}

// requestExport asks for a second person's approval of an export.
func (s *Server) requestExport(w http.ResponseWriter, r *http.Request) error {
	var in exportRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.CameraID <= 0 {
		return badRequest(`give the camera_id, start, end and reason of the export, e.g. {"camera_id": 3, "start": "2026-11-21T10:00:00Z", "end": "2026-11-21T10:05:00Z", "reason": "PC 1234, crime 42/2026"}`)
	}
	c, err := s.st.Camera(r.Context(), in.CameraID)
	if errors.Is(err, store.ErrNotFound) {
		return errorf(http.StatusNotFound, fmt.Sprintf("no camera %d", in.CameraID), nil)
	}
	if err != nil {
		return err
	}
	a := accessFrom(r.Context())
	if err := decide(a.snap.Can(a.p, rights.Export, rightsCamera(c), s.now()), fmt.Sprintf("no camera %d", c.ID)); err != nil {
		return err
	}
	in.Reason = strings.TrimSpace(in.Reason)
	switch {
	case in.Start.IsZero() || in.End.IsZero() || !in.End.After(in.Start):
		return badRequest("give start and end, RFC 3339 times, the end after the start")
	case in.End.Sub(in.Start) > playback.MaxRange:
		return badRequest("ask for at most 24 hours in one export")
	case in.End.After(s.now()) && !in.DryRun:
		return badRequest("the range must have ended: footage not yet recorded cannot be approved")
	case (in.Reason == "" && !in.DryRun) || utf8.RuneCountInString(in.Reason) > maxReason:
		return badRequest(fmt.Sprintf("give the reason for the export (1 to %d characters): the approver and the audit trail need it", maxReason))
	}
	start, end := in.Start.UTC(), in.End.UTC()
	need, by, err := s.footageNeedsApproval(r.Context(), a, c, start, end, rights.FourEyesExport)
	if err != nil {
		return err
	}
	if in.DryRun {
		// The same decision the download makes (exportApproval), so
		// the console offers what the server will accept.
		out := exportDecisionJSON{DryRun: true, CameraID: c.ID, Start: start, End: end, NeedsApproval: need,
			Message: "no approval needed: download it directly"}
		if need {
			out.PolicyOf, out.Message = approvalNeeded(a, c, by)
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}
	if !need {
		return errorf(http.StatusConflict, "exports of this footage need no approval: download it directly (video.mp4 with download=1)", nil)
	}
	ap := store.Approval{OrganisationID: by, Action: rights.FourEyesExport, Kind: kindExport,
		Summary: fmt.Sprintf("Export %s, %s to %s", c.Name, start.Format(time.RFC3339), end.Format(time.RFC3339)),
		Reason:  in.Reason, CameraID: c.ID, RangeStart: &start, RangeEnd: &end, RequestedBy: a.user.ID, ExpiresAt: s.now().Add(approvalLife)}
	if err := s.st.CreateApproval(r.Context(), &ap); err != nil {
		return err
	}
	if err := s.audit(r, auditlog.ApprovalRequest, c.ID, ap.RangeStart, ap.RangeEnd, fmt.Sprintf("request %d: export, reason: %s", ap.ID, in.Reason)); err != nil {
		return err
	}
	out, err := s.approvalJSON(r.Context(), a, ap, nil)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/approvals/%d", ap.ID))
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
	if utf8.RuneCountInString(in.Note) > maxReason {
		return badRequest(fmt.Sprintf("the note must be at most %d characters", maxReason))
	}
	a := accessFrom(r.Context())
	if err := s.independent(r.Context(), a.user.ID, ap); err != nil {
		return err
	}
	state, window, act := store.ApprovalRejected, time.Time{}, auditlog.ApprovalReject
	if ok {
		state, act = store.ApprovalApproved, auditlog.ApprovalApprove
		if ap.Kind == kindExport {
			window = s.now().Add(exportWindow)
		}
	}
	decided, err := s.st.DecideApproval(r.Context(), ap.ID, a.user.ID, state, in.Note, s.now(), window)
	var ie *store.InvalidError
	switch {
	case errors.Is(err, store.ErrNotPending):
		return errorf(http.StatusConflict, fmt.Sprintf("request %d is no longer pending (it is %s)", ap.ID, ap.State), err)
	case errors.As(err, &ie):
		return errorf(http.StatusForbidden, ie.Msg, nil)
	case err != nil:
		return err
	}
	if err := s.audit(r, act, ap.CameraID, ap.RangeStart, ap.RangeEnd,
		fmt.Sprintf("request %d of user %d: %s", ap.ID, ap.RequestedBy, ap.Summary)); err != nil {
		return err
	}
	switch {
	case ok && ap.Kind == kindDeleteFootage:
		if decided, err = s.carryOutDeletion(r, decided); err != nil {
			s.log.Warn("an approved deletion of footage failed", "approval", ap.ID, "err", err)
		}
	case ok && ap.Kind != kindExport:
		decided.State = store.ApprovalApplied
		if err := s.carryOut(r, decided); err != nil {
			decided.State, decided.Note = store.ApprovalFailed, errorMessage(err)
		}
	}
	out, err := s.approvalJSON(r.Context(), a, decided, nil)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// carryOut makes an approved change of rights and records the outcome.
func (s *Server) carryOut(r *http.Request, ap store.Approval) error {
	var ch change
	err := json.Unmarshal([]byte(ap.Payload), &ch)
	var detail string
	if err == nil {
		_, detail, err = s.applyChange(r.Context(), ch)
	}
	if err != nil {
		if serr := s.st.SettleApproval(r.Context(), ap.ID, store.ApprovalFailed, errorMessage(err)); serr != nil {
			s.log.Error("settling an approval", "approval", ap.ID, "err", serr)
		}
		return err
	}
	if err := s.st.SettleApproval(r.Context(), ap.ID, store.ApprovalApplied, ap.Note); err != nil {
		return err
	}
	return s.audit(r, changeAction[ch.Kind], ch.CameraID, nil, nil, detail+fmt.Sprintf(" (approved request %d of user %d)", ap.ID, ap.RequestedBy))
}

// errorMessage is what may be told of err.
func errorMessage(err error) string {
	var we *Error
	if errors.As(err, &we) {
		return we.Msg
	}
	return "the change could not be made; the server's log says why"
}

// exportApproval checks, where four eyes applies to a camera's exports,
// that the request names an approved export of this range by this user,
// and returns what the audit record should add.
func (s *Server) exportApproval(r *http.Request, c cameras.Camera, start, end time.Time) (string, error) {
	a := accessFrom(r.Context())
	need, by, err := s.footageNeedsApproval(r.Context(), a, c, start, end, rights.FourEyesExport)
	if err != nil || !need {
		return "", err
	}
	_, why := approvalNeeded(a, c, by)
	ask := why + "; ask for it (POST /api/v1/approvals, or Export in the Playback console), then add approval=ID to this URL"
	v := r.URL.Query().Get("approval")
	if v == "" {
		return "", errorf(http.StatusForbidden, ask, nil)
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return "", badRequest(fmt.Sprintf("approval=%q is not a request id", v))
	}
	ap, err := s.st.Approval(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) || err == nil && (ap.Kind != kindExport || ap.RequestedBy != a.user.ID || ap.CameraID != c.ID) {
		return "", errorf(http.StatusForbidden, fmt.Sprintf("request %d is not your export of this camera; %s", id, ask), nil)
	}
	if err != nil {
		return "", err
	}
	switch {
	case ap.State == store.ApprovalPending:
		return "", errorf(http.StatusForbidden, fmt.Sprintf("request %d is still waiting for approval", id), nil)
	case ap.State != store.ApprovalApproved:
		return "", errorf(http.StatusForbidden, fmt.Sprintf("request %d was %s", id, ap.State), nil)
	case !s.now().Before(ap.ExpiresAt):
		return "", errorf(http.StatusForbidden, fmt.Sprintf("the approved export %d could be downloaded until %s; ask again", id, ap.ExpiresAt.Format(time.RFC3339)), nil)
	case start.Before(*ap.RangeStart) || end.After(*ap.RangeEnd):
		return "", errorf(http.StatusForbidden, fmt.Sprintf("request %d approved %s to %s only", id, ap.RangeStart.Format(time.RFC3339Nano), ap.RangeEnd.Format(time.RFC3339Nano)), nil)
	}
	return fmt.Sprintf(" approval: request %d, approved by user %d", ap.ID, ap.DecidedBy), nil
}

// footageNeedsApproval reports whether act (export, delete_footage) on
// camera c's footage in [start, end) needs a second person, and the
// organisation whose policy says so. Footage answers to every
// organisation that owned the camera at some instant of the range, not
// only to its owner now: moving a camera to an organisation that asks
// for no approval does not free what was recorded before.
func (s *Server) footageNeedsApproval(ctx context.Context, a *access, c cameras.Camera, start, end time.Time, act string) (bool, int64, error) {
	owners, err := s.st.CameraOwnersDuring(ctx, c.ID, start, end)
	if err != nil {
		return false, 0, err
	}
	for _, org := range append([]int64{c.OrganisationID}, owners...) {
		if need, by := a.snap.NeedsApproval(org, act); need {
			return true, by, nil
		}
	}
	return false, 0, nil
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
