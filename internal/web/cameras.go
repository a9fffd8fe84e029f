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

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/finance"
	"github.com/vigil-cctv/vigil/internal/ingest"
	"github.com/vigil-cctv/vigil/internal/names"
	"github.com/vigil-cctv/vigil/internal/netpolicy"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/store"
)

// cameraJSON is a camera as the API shows it: never its credentials.
type cameraJSON struct {
	ID             int64  `json:"id"`
	Name           string `json:"name"`
	OrganisationID int64  `json:"organisation_id"`
	// Organisation is the partner's name, the top level of the console's
	// camera tree; Area and Site are the levels below it.
	Organisation   string         `json:"organisation"`
	Area           string         `json:"area"`
	Site           string         `json:"site"`
	Description    string         `json:"description"`
	Latitude       *float64       `json:"latitude"`
	Longitude      *float64       `json:"longitude"`
	URL            string         `json:"url"`
	Transport      string         `json:"transport"`
	RetentionDays  int            `json:"retention_days"`
	Enabled        bool           `json:"enabled"`
	HasCredentials bool           `json:"has_credentials"`
	State          ingest.State   `json:"state"`
	Status         statusJSON     `json:"status"`
	Recording      *recordingJSON `json:"recording,omitempty"`
	// Rights are what the signed-in user may do to this camera now:
	// view_live, play_back, export, control_ptz, manage_cameras.
	Rights []rights.Action `json:"rights"`
	// ExportNeedsApproval: the camera's present owner asks a second
	// person's approval for exports (POST /api/v1/approvals). Footage
	// recorded under an earlier owner answers to that owner's policy
	// too, so whether a given range needs it is the answer of a dry run
	// of that request, which the console asks before every export.
	ExportNeedsApproval bool      `json:"export_needs_approval"`
	CreatedAt           time.Time `json:"created_at"`
	UpdatedAt           time.Time `json:"updated_at"`
}

// statusJSON is a camera's state: the class of its last failure for
// everyone who sees the camera, the failure itself only for those who
// manage it, since it can quote whatever answered at the camera's address.
type statusJSON struct {
	ingest.Status
	LastErrorDetail string `json:"last_error_detail,omitempty"`
}

// cameraJSON shows c to a user who may do on to it. Its address and
// recording settings are for those who manage it.
func (s *Server) cameraJSON(c store.Camera, organisation string, on rights.Set, needsApproval bool) cameraJSON {
	out := cameraJSON{
		ID: c.ID, Name: c.Name, OrganisationID: c.OrganisationID, Organisation: organisation,
		Area: c.Area, Site: c.Site, Description: c.Description, Latitude: c.Latitude, Longitude: c.Longitude,
		Enabled: c.Enabled, Rights: on.List(), ExportNeedsApproval: needsApproval && on.Has(rights.Export),
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
	if on.Has(rights.ManageCameras) {
		out.URL, out.Transport, out.RetentionDays, out.HasCredentials = c.URL, c.Transport, c.RetentionDays, len(c.Credentials) > 0
	}
	if st, ok := s.opt.Cameras.Status(c.ID); ok {
		out.Status.Status = st
	} else {
		out.Status.Status = ingest.Status{State: ingest.StateStopped}
	}
	if on.Has(rights.ManageCameras) {
		out.Status.LastErrorDetail = out.Status.Status.LastErrorDetail
	}
	out.State = out.Status.State
	if rs, ok := s.opt.Cameras.Recording(c.ID); ok {
		out.Recording = &recordingJSON{
			Frames: rs.Frames, Fragments: rs.Fragments, Segments: rs.Segments, Bytes: rs.Bytes,
			WriteErrors: rs.WriteErrors, LastError: string(rs.LastError),
			DroppedFrames: rs.DroppedFrames, ClockJumps: rs.ClockJumps, LastClockJumpMS: rs.LastClockJump.Milliseconds(),
			LimitedFrames: rs.LimitedFrames, LimitedCause: rs.LimitedCause,
		}
		if !rs.LastErrorAt.IsZero() {
			out.Recording.LastErrorAt = &rs.LastErrorAt
		}
		if on.Has(rights.ManageCameras) {
			// It names the server's folders and files, as the
			// connection's detail can quote the far end.
			out.Recording.LastErrorDetail = rs.LastErrorDetail
		}
		if !rs.LastClockJumpAt.IsZero() {
			out.Recording.LastClockJumpAt = &rs.LastClockJumpAt
		}
	}
	return out
}

// recordingJSON is what a camera's recorder wrote since it started: a
// camera can be "recording" on the wire while its disk refuses the footage.
type recordingJSON struct {
	Frames      int64 `json:"frames"`
	Fragments   int64 `json:"fragments"`
	Segments    int64 `json:"segments"`
	Bytes       int64 `json:"bytes"`
	WriteErrors int64 `json:"write_errors"`
	// LastError is the class of the last write failure ("storage
	// full", "storage error", "index error", "unrecordable stream"),
	// for everyone who sees the camera; LastErrorDetail the failure
	// itself, only for those who manage the camera.
	LastError       string     `json:"last_error,omitempty"`
	LastErrorDetail string     `json:"last_error_detail,omitempty"`
	LastErrorAt     *time.Time `json:"last_error_at,omitempty"`
	// DroppedFrames: video dropped because the storage could not keep up.
	DroppedFrames int64 `json:"dropped_frames"`
	// ClockJumps: times the camera's timestamps parted from our clock and
	// its footage was re-anchored to ours; the last by how much (positive:
	// the camera's time was ahead) and when.
	ClockJumps      int64      `json:"clock_jumps"`
	LastClockJumpMS int64      `json:"last_clock_jump_ms,omitempty"`
	LastClockJumpAt *time.Time `json:"last_clock_jump_at,omitempty"`
	// LimitedFrames: video dropped because the camera asked for new
	// segments too often; LimitedCause why it asked ("parameters",
	// "clock").
	LimitedFrames int64  `json:"limited_frames"`
	LimitedCause  string `json:"limited_cause,omitempty"`
}

// cameraList is every live camera the request's user may see, as the API
// shows it: the console's camera tree, map and walls are built from it,
// so scoping it scopes them.
func (s *Server) cameraList(ctx context.Context) ([]cameraJSON, error) {
	a := accessFrom(ctx)
	cams, err := s.st.ListCameras(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]cameraJSON, 0, len(cams))
	now := s.now()
	for _, c := range cams {
		if on := a.snap.On(a.p, rightsCamera(c), now); on != 0 {
			out = append(out, s.oneCameraJSON(ctx, a, c, on))
		}
	}
	return out, nil
}

// oneCameraJSON is cameraJSON for a camera the user may do on to.
func (s *Server) oneCameraJSON(ctx context.Context, a *signedIn, c store.Camera, on rights.Set) cameraJSON {
	org, ok := a.snap.Org(c.OrganisationID)
	if !ok {
		// Made by another process since the snapshot.
		if o, err := s.st.Organisation(ctx, c.OrganisationID); err == nil {
			org.Name = o.Name
		}
	}
	need, _ := a.snap.NeedsApproval(c.OrganisationID, rights.FourEyesExport)
	return s.cameraJSON(c, org.Name, on, need)
}

// visibleCameraJSON shows a camera to the request's user, or is a 404.
func (s *Server) visibleCameraJSON(r *http.Request, c store.Camera) (cameraJSON, error) {
	a := accessFrom(r.Context())
	on := a.snap.On(a.p, rightsCamera(c), s.now())
	if on == 0 {
		return cameraJSON{}, errorf(http.StatusNotFound, fmt.Sprintf("no camera %d", c.ID), nil)
	}
	return s.oneCameraJSON(r.Context(), a, c, on), nil
}

func (s *Server) listCameras(w http.ResponseWriter, r *http.Request) error {
	out, err := s.cameraList(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) camera(r *http.Request) (store.Camera, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return store.Camera{}, badRequest(fmt.Sprintf("camera id %q is not a positive whole number", r.PathValue("id")))
	}
	c, err := s.st.Camera(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return c, errorf(http.StatusNotFound, fmt.Sprintf("no camera %d", id), nil)
	}
	return c, err
}

func (s *Server) getCamera(w http.ResponseWriter, r *http.Request) error {
	c, err := s.camera(r)
	if err != nil {
		return err
	}
	out, err := s.visibleCameraJSON(r, c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// cameraInput is the body of POST and PATCH; in a PATCH, absent fields
// keep their values.
type cameraInput struct {
	Name          *string `json:"name"`
	URL           *string `json:"url"`
	Username      *string `json:"username"`
	Password      *string `json:"password"`
	Transport     *string `json:"transport"`
	RetentionDays *int    `json:"retention_days"`
	Enabled       *bool   `json:"enabled"`
	// Organisation names the owner, or OrganisationID gives it; neither:
	// the server's organisation if the user manages cameras there, else
	// the user's own.
	Organisation   *string `json:"organisation"`
	OrganisationID *int64  `json:"organisation_id"`
	Area           *string `json:"area"`
	Site           *string `json:"site"`
	Description    *string `json:"description"`
	// A position is cleared with null, so absent and null differ.
	Latitude  nullableFloat `json:"latitude"`
	Longitude nullableFloat `json:"longitude"`
	// Category is the monitoring category in the recharge; a change is
	// dated in the camera's history (finance.go).
	Category *string `json:"category"`
}

// nullableFloat is a JSON number that may be null, remembering whether the
// field was present at all.
type nullableFloat struct {
	Set bool
	V   *float64
}

// UnmarshalJSON implements json.Unmarshaler; it is called for null too.
func (n *nullableFloat) UnmarshalJSON(b []byte) error {
	n.Set, n.V = true, nil
	if string(b) == "null" {
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	n.V = &f
	return nil
}

// credentials are what is sealed in a camera row.
type credentials struct {
	Username string `json:"u"`
	Password string `json:"p"`
}

// credentialsAD binds sealed credentials to their purpose.
var credentialsAD = []byte("vigil camera credentials v1")

func decodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return errorf(http.StatusUnsupportedMediaType, "send the body as application/json", nil)
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("the body is not valid JSON for this request: " + err.Error())
	}
	if dec.More() {
		return badRequest("the body holds more than one JSON value")
	}
	return nil
}

// apply validates in and merges it into c.
func (s *Server) apply(ctx context.Context, c *store.Camera, in cameraInput) error {
	creds := credentials{}
	if len(c.Credentials) > 0 {
		plain, err := s.opt.Secrets.Open(c.Credentials, credentialsAD)
		if err != nil {
			return errorf(http.StatusInternalServerError, "stored camera credentials cannot be read", err)
		}
		json.Unmarshal(plain, &creds)
	}
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		if name == "" || len(name) > 200 {
			return badRequest("name must be 1 to 200 characters")
		}
		if err := names.Check("a camera's name", name); err != nil {
			return badRequest(err.Error())
		}
		c.Name = name
	}
	if in.URL != nil {
		u, err := url.Parse(strings.TrimSpace(*in.URL))
		if err != nil || u.Scheme != "rtsp" || u.Host == "" {
			return badRequest("url must be an rtsp:// URL with a host, e.g. rtsp://192.0.2.10:554/stream1")
		}
		if err := s.checkCameraHost(ctx, u.Hostname()); err != nil {
			return err
		}
		if u.User != nil {
			// Credentials in the URL are taken out and sealed, so the
			// URL can be shown.
			creds.Username = u.User.Username()
			creds.Password, _ = u.User.Password()
			u.User = nil
		}
		c.URL = u.String()
	}
	if in.Username != nil {
		creds.Username = *in.Username
	}
	if in.Password != nil {
		creds.Password = *in.Password
	}
	if in.Transport != nil {
		switch *in.Transport {
		case "tcp", "udp":
			c.Transport = *in.Transport
		default:
			return badRequest(`transport must be "tcp" or "udp"`)
		}
	}
	if in.RetentionDays != nil {
		if *in.RetentionDays < 1 || *in.RetentionDays > 3650 {
			return badRequest("retention_days must be between 1 and 3650")
		}
		c.RetentionDays = *in.RetentionDays
	}
	if in.Enabled != nil {
		c.Enabled = *in.Enabled
	}
	if err := applyPlace(c, in); err != nil {
		return err
	}
	if creds.Username != "" || creds.Password != "" {
		plain, _ := json.Marshal(creds)
		c.Credentials = s.opt.Secrets.Seal(plain, credentialsAD)
	} else {
		c.Credentials = nil
	}
	return nil
}

// checkCameraHost refuses a camera address the camera network policy
// refuses, saying which rule; a host name is resolved and each of its
// addresses checked. The policy is checked again at every connection,
// at the address dialled, which is what holds when a name resolves
// elsewhere later; this check is so that the person adding the camera
// hears why now. A name that does not resolve yet is let through to
// that check.
func (s *Server) checkCameraHost(ctx context.Context, host string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := s.opt.CameraAddresses.CheckHost(ctx, nil, host)
	var re *netpolicy.RefusedError
	switch {
	case errors.As(err, &re):
		return badRequest("url: " + re.Error())
	case err != nil:
		s.log.Info("camera host not checked now: it does not resolve", "host", host, "err", err)
	}
	return nil
}

// applyPlace validates and merges where a camera is: its filing in the
// camera tree and its position on the map.
func applyPlace(c *store.Camera, in cameraInput) error {
	for _, f := range []struct {
		name  string
		in    *string
		dst   *string
		limit int
	}{
		{"area", in.Area, &c.Area, store.MaxCameraPlace},
		{"site", in.Site, &c.Site, store.MaxCameraPlace},
		{"description", in.Description, &c.Description, store.MaxCameraDescription},
	} {
		if f.in == nil {
			continue
		}
		v := strings.TrimSpace(*f.in)
		if utf8.RuneCountInString(v) > f.limit {
			return badRequest(fmt.Sprintf("%s must be at most %d characters", f.name, f.limit))
		}
		if err := names.Check("a camera's "+f.name, v); err != nil && f.name != "description" {
			return badRequest(err.Error())
		}
		*f.dst = v
	}
	if in.Latitude.Set {
		c.Latitude = in.Latitude.V
	}
	if in.Longitude.Set {
		c.Longitude = in.Longitude.V
	}
	switch lat, lon := c.Latitude, c.Longitude; {
	case (lat == nil) != (lon == nil):
		return badRequest("latitude and longitude must be given together, or both null to clear the position")
	case lat == nil:
	case *lat < -90 || *lat > 90:
		return badRequest(fmt.Sprintf("latitude %v is outside -90 to 90 degrees", *lat))
	case *lon < -180 || *lon > 180:
		return badRequest(fmt.Sprintf("longitude %v is outside -180 to 180 degrees", *lon))
	}
	return nil
}

// CameraCredentials opens a camera's sealed credentials.
func CameraCredentials(box interface {
	Open(sealed, ad []byte) ([]byte, error)
}, c store.Camera) (username, password string, err error) {
	if len(c.Credentials) == 0 {
		return "", "", nil
	}
	plain, err := box.Open(c.Credentials, credentialsAD)
	if err != nil {
		return "", "", err
	}
	var cr credentials
	if err := json.Unmarshal(plain, &cr); err != nil {
		return "", "", err
	}
	return cr.Username, cr.Password, nil
}

func (s *Server) createCamera(w http.ResponseWriter, r *http.Request) error {
	var in cameraInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Name == nil || in.URL == nil {
		return badRequest("name and url are required")
	}
	org, err := s.cameraOwner(r, in)
	if err != nil {
		return err
	}
	c := store.Camera{Transport: "tcp", RetentionDays: s.opt.RetentionDays, Enabled: true}
	if err := s.apply(r.Context(), &c, in); err != nil {
		return err
	}
	if err := s.checkCategory(r, in.Category); err != nil {
		return err
	}
	c.OrganisationID = org.ID
	if err := s.st.CreateCamera(r.Context(), &c); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return errorf(http.StatusConflict, fmt.Sprintf("a camera named %q already exists", c.Name), err)
		}
		return err
	}
	if err := s.audit(r, auditlog.CameraCreate, c.ID, nil, nil, c.Name); err != nil {
		return err
	}
	if err := s.recordCameraChange(r, c, finance.Installed, in.Category); err != nil {
		return err
	}
	if err := s.opt.Cameras.Apply(r.Context(), c); err != nil {
		s.log.Error("starting camera", "camera", c.ID, "err", err)
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/cameras/%d", c.ID))
	a := accessFrom(r.Context())
	writeJSON(w, http.StatusCreated, s.cameraJSON(c, org.Name, a.snap.On(a.p, rightsCamera(c), s.now()), false))
	return nil
}

// cameraOwner is the organisation a new camera joins, which the user must
// manage cameras in. One they may not see is refused exactly like one
// that does not exist.
func (s *Server) cameraOwner(r *http.Request, in cameraInput) (access.Organisation, error) {
	a := accessFrom(r.Context())
	var org access.Organisation
	var err error
	switch {
	case in.OrganisationID != nil:
		org, err = s.st.Organisation(r.Context(), *in.OrganisationID)
		if errors.Is(err, store.ErrNotFound) || err == nil && !a.snap.Sees(a.p, org.ID) {
			return org, badRequest(fmt.Sprintf("there is no organisation %d", *in.OrganisationID))
		}
	case in.Organisation != nil && *in.Organisation != "":
		org, err = s.st.OrganisationByName(r.Context(), *in.Organisation)
		if errors.Is(err, store.ErrNotFound) || err == nil && !a.snap.Sees(a.p, org.ID) {
			return org, badRequest(fmt.Sprintf("there is no organisation named %q; make it first (POST /api/v1/organisations)", *in.Organisation))
		}
	default:
		org, err = s.st.OrganisationByName(r.Context(), s.opt.Organisation)
		if err != nil || !a.snap.CanOrg(a.p, rights.ManageCameras, org.ID).Allowed {
			org, err = s.st.Organisation(r.Context(), a.user.OrganisationID)
		}
	}
	if err != nil {
		return org, err
	}
	return org, decide(a.snap.CanOrg(a.p, rights.ManageCameras, org.ID), "no such organisation")
}

func (s *Server) patchCamera(w http.ResponseWriter, r *http.Request) error {
	c, err := s.cameraFor(r, rights.ManageCameras)
	if err != nil {
		return err
	}
	var in cameraInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Organisation != nil || in.OrganisationID != nil {
		moved, err := s.proposeMove(w, r, c, in)
		if moved || err != nil {
			return err
		}
	}
	if err := s.apply(r.Context(), &c, in); err != nil {
		return err
	}
	if err := s.checkCategory(r, in.Category); err != nil {
		return err
	}
	if err := s.st.UpdateCamera(r.Context(), &c); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return errorf(http.StatusConflict, fmt.Sprintf("a camera named %q already exists", c.Name), err)
		}
		return err
	}
	if err := s.audit(r, auditlog.CameraUpdate, c.ID, nil, nil, ""); err != nil {
		return err
	}
	if err := s.recordCameraChange(r, c, finance.Recategorised, in.Category); err != nil {
		return err
	}
	if err := s.opt.Cameras.Apply(r.Context(), c); err != nil {
		s.log.Error("restarting camera", "camera", c.ID, "err", err)
	}
	out, err := s.visibleCameraJSON(r, c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) deleteCamera(w http.ResponseWriter, r *http.Request) error {
	c, err := s.cameraFor(r, rights.ManageCameras)
	if err != nil {
		return err
	}
	s.opt.Cameras.Stop(c.ID)
	if err := s.st.DeleteCamera(r.Context(), c.ID); err != nil {
		return err
	}
	if err := s.audit(r, auditlog.CameraDelete, c.ID, nil, nil, c.Name); err != nil {
		return err
	}
	if err := s.recordCameraChange(r, c, finance.Decommissioned, nil); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// proposeMove gives camera c to the organisation that in names, where the user
// manages cameras both where it is and where it goes. Who may see a
// camera follows its owner, so a move is a change of rights. It waits
// for a second person under a four-eyes policy, for any action, of
// either organisation (or one above them): otherwise a camera could be
// moved to a council that asks for none, its footage exported or
// deleted there at once, and moved back. moved is false when in names
// the camera's own owner, which is no move, and the rest of the PATCH
// goes ahead.
func (s *Server) proposeMove(w http.ResponseWriter, r *http.Request, c store.Camera, in cameraInput) (moved bool, err error) {
	org, err := s.moveTarget(r, in)
	if err != nil || org.ID == c.OrganisationID {
		return false, err
	}
	if rest := (cameraInput{Organisation: in.Organisation, OrganisationID: in.OrganisationID}); in != rest {
		return false, badRequest("move a camera in a request of its own: give only organisation_id (or organisation)")
	}
	a := accessFrom(r.Context())
	from, _ := a.snap.Org(c.OrganisationID)
	ch := change{Kind: kindMoveCamera, Need: rights.ManageCameras, Orgs: []int64{c.OrganisationID, org.ID}, CameraID: c.ID, OrgID: org.ID}
	summary := fmt.Sprintf("Move camera %s from %s to %s", c.Name, from.Name, org.Name)
	return true, s.proposeUnder(w, r, ch, http.StatusOK, summary, "", holdWhen{actions: rights.FourEyesActions, orgs: []int64{c.OrganisationID, org.ID}})
}

// moveTarget is the organisation that in names, which the user must manage
// cameras in; one outside their sight is "no such organisation", like
// one that does not exist.
func (s *Server) moveTarget(r *http.Request, in cameraInput) (access.Organisation, error) {
	var org access.Organisation
	var err error
	var missing string
	switch {
	case in.OrganisationID != nil:
		missing = fmt.Sprintf("no organisation %d", *in.OrganisationID)
		org, err = s.st.Organisation(r.Context(), *in.OrganisationID)
	default:
		missing = fmt.Sprintf("no organisation named %q", *in.Organisation)
		org, err = s.st.OrganisationByName(r.Context(), *in.Organisation)
	}
	if errors.Is(err, store.ErrNotFound) {
		return org, errorf(http.StatusNotFound, missing, nil)
	}
	if err != nil {
		return org, err
	}
	a := accessFrom(r.Context())
	return org, decide(a.snap.CanOrg(a.p, rights.ManageCameras, org.ID), missing)
}
