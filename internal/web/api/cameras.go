package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/ingest"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
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
func (s *API) cameraJSON(c cameras.Camera, organisation string, on rights.Set, needsApproval bool) cameraJSON {
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
func (s *API) cameraList(ctx context.Context) ([]cameraJSON, error) {
	a := httpx.AccessOf(ctx)
	cams, err := s.cams.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]cameraJSON, 0, len(cams))
	now := s.now()
	for _, c := range cams {
		if on := a.Snap.On(a.P, rightsCamera(c), now); on != 0 {
			out = append(out, s.oneCameraJSON(ctx, a, c, on))
		}
	}
	return out, nil
}

// oneCameraJSON is cameraJSON for a camera the user may do on to.
func (s *API) oneCameraJSON(ctx context.Context, a *httpx.Access, c cameras.Camera, on rights.Set) cameraJSON {
	org, ok := a.Snap.Org(c.OrganisationID)
	if !ok {
		// Made by another process since the snapshot.
		if o, err := s.st.Organisation(ctx, c.OrganisationID); err == nil {
			org.Name = o.Name
		}
	}
	need, _ := a.Snap.NeedsApproval(c.OrganisationID, rights.FourEyesExport)
	return s.cameraJSON(c, org.Name, on, need)
}

// visibleCameraJSON shows a camera to the request's user, or is a 404.
func (s *API) visibleCameraJSON(r *http.Request, c cameras.Camera) (cameraJSON, error) {
	a := httpx.AccessOf(r.Context())
	on := a.Snap.On(a.P, rightsCamera(c), s.now())
	if on == 0 {
		return cameraJSON{}, httpx.Errorf(http.StatusNotFound, fmt.Sprintf("no camera %d", c.ID), nil)
	}
	return s.oneCameraJSON(r.Context(), a, c, on), nil
}

func (s *API) listCameras(w http.ResponseWriter, r *http.Request) error {
	out, err := s.cameraList(r.Context())
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *API) camera(r *http.Request) (cameras.Camera, error) {
	id, err := cameraID(r)
	if err != nil {
		return cameras.Camera{}, err
	}
	c, err := s.cams.Camera(r.Context(), id)
	return c, httpx.FromProblem(err)
}

// cameraID is the request's {id}.
func cameraID(r *http.Request) (int64, error) {
	return httpx.PathID(r, "camera")
}

func (s *API) getCamera(w http.ResponseWriter, r *http.Request) error {
	c, err := s.camera(r)
	if err != nil {
		return err
	}
	out, err := s.visibleCameraJSON(r, c)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, out)
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

// input is what the body asks of the camera, for the service.
func (in cameraInput) input() cameras.Input {
	return cameras.Input{
		Name: in.Name, URL: in.URL, Username: in.Username, Password: in.Password, Transport: in.Transport,
		RetentionDays: in.RetentionDays, Enabled: in.Enabled, Area: in.Area, Site: in.Site, Description: in.Description,
		Latitude:  cameras.Optional{Set: in.Latitude.Set, V: in.Latitude.V},
		Longitude: cameras.Optional{Set: in.Longitude.Set, V: in.Longitude.V},
		Category:  in.Category,
	}
}

// cameraError is a refusal of the camera service as the camera API has
// always answered it: invalid values are a 400.
func cameraError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, cameras.ErrCredentials):
		return httpx.Errorf(http.StatusInternalServerError, "stored camera credentials cannot be read", err)
	}
	return httpx.Refusal(err)
}

// cameraCaller is who makes a request, as the trail names them and as
// the camera service decides their rights.
func cameraCaller(r *http.Request) cameras.Caller {
	u := httpx.User(r.Context())
	c := cameras.Caller{Actor: httpx.UserActor(u, r)}
	// A request never decided by authorise may do nothing: nil rights
	// would be the command line's, which no rights bind.
	c.Rights = rights.NewSnapshot(rights.Data{})
	if a := httpx.AccessOf(r.Context()); a != nil {
		c.Principal, c.Rights = a.P, a.Snap
	}
	return c
}

func (s *API) createCamera(w http.ResponseWriter, r *http.Request) error {
	var in cameraInput
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if in.Name == nil || in.URL == nil {
		return httpx.BadRequest("name and url are required")
	}
	org, err := s.cameraOwner(r, in)
	if err != nil {
		return err
	}
	c, err := s.cams.Create(r.Context(), cameraCaller(r), org.ID, in.input())
	if err != nil {
		return cameraError(err)
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/cameras/%d", c.ID))
	a := httpx.AccessOf(r.Context())
	httpx.WriteJSON(w, http.StatusCreated, s.cameraJSON(c, org.Name, a.Snap.On(a.P, rightsCamera(c), s.now()), false))
	return nil
}

// cameraOwner is the organisation a new camera joins, as the camera
// service decides it.
func (s *API) cameraOwner(r *http.Request, in cameraInput) (rights.Org, error) {
	want := cameras.Joins{ID: in.OrganisationID}
	if in.Organisation != nil {
		want.Name = *in.Organisation
	}
	org, err := s.cams.Owner(r.Context(), cameraCaller(r), want)
	return org, httpx.Refusal(err)
}

func (s *API) patchCamera(w http.ResponseWriter, r *http.Request) error {
	c, err := s.cameraFor(r, rights.ManageCameras)
	if err != nil {
		return err
	}
	var in cameraInput
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if in.Organisation != nil || in.OrganisationID != nil {
		moved, err := s.proposeMove(w, r, c, in)
		if moved || err != nil {
			return err
		}
	}
	c, err = s.cams.Update(r.Context(), cameraCaller(r), c, in.input())
	if err != nil {
		return cameraError(err)
	}
	out, err := s.visibleCameraJSON(r, c)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *API) deleteCamera(w http.ResponseWriter, r *http.Request) error {
	c, err := s.cameraFor(r, rights.ManageCameras)
	if err != nil {
		return err
	}
	if err := s.cams.Delete(r.Context(), cameraCaller(r), c); err != nil {
		return cameraError(err)
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
func (s *API) proposeMove(w http.ResponseWriter, r *http.Request, c cameras.Camera, in cameraInput) (moved bool, err error) {
	org, err := s.moveTarget(r, in)
	if err != nil || org.ID == c.OrganisationID {
		return false, err
	}
	if rest := (cameraInput{Organisation: in.Organisation, OrganisationID: in.OrganisationID}); in != rest {
		return false, httpx.BadRequest("move a camera in a request of its own: give only organisation_id (or organisation)")
	}
	a := httpx.AccessOf(r.Context())
	from, _ := a.Snap.Org(c.OrganisationID)
	ch := change{Kind: kindMoveCamera, Need: rights.ManageCameras, Orgs: []int64{c.OrganisationID, org.ID}, CameraID: c.ID, OrgID: org.ID}
	summary := fmt.Sprintf("Move camera %s from %s to %s", c.Name, from.Name, org.Name)
	return true, s.proposeUnder(w, r, ch, http.StatusOK, summary, "", holdWhen{actions: rights.FourEyesActions, orgs: []int64{c.OrganisationID, org.ID}})
}

// moveTarget is the organisation that in names, which the user must manage
// cameras in; one outside their sight is "no such organisation", like
// one that does not exist.
func (s *API) moveTarget(r *http.Request, in cameraInput) (access.Organisation, error) {
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
		return org, httpx.Errorf(http.StatusNotFound, missing, nil)
	}
	if err != nil {
		return org, err
	}
	a := httpx.AccessOf(r.Context())
	return org, decide(a.Snap.CanOrg(a.P, rights.ManageCameras, org.ID), missing)
}

// probeJSON is what a camera answered a connection test.
type probeJSON struct {
	Reachable bool   `json:"reachable"`
	OK        bool   `json:"ok"`
	Class     string `json:"class,omitempty"`
	Status    int    `json:"status,omitempty"`
	Reason    string `json:"reason,omitempty"`
	Detail    string `json:"detail,omitempty"`
	Codec     string `json:"codec,omitempty"`
	Width     int    `json:"width,omitempty"`
	Height    int    `json:"height,omitempty"`
	Transport string `json:"transport,omitempty"`
	Message   string `json:"message"`
}

// testCamera dials the camera the body describes ({url, username,
// password, transport}) and answers what it said: 200 whatever the
// camera answered, since the test itself worked.
func (s *API) testCamera(w http.ResponseWriter, r *http.Request) error {
	var in cameraInput
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	a, err := s.cams.Test(r.Context(), cameraCaller(r), cameras.Input{URL: in.URL, Username: in.Username, Password: in.Password, Transport: in.Transport})
	if err != nil {
		return cameraError(err)
	}
	httpx.WriteJSON(w, http.StatusOK, probeJSON{
		Reachable: a.Reachable, OK: a.OK, Class: a.Class, Status: a.Status, Reason: a.Reason, Detail: a.Detail,
		Codec: a.Codec, Width: a.Width, Height: a.Height, Transport: a.Transport, Message: a.Message,
	})
	return nil
}

// importCameras adds every camera of the CSV body, all or none; a
// refused row is refused with its number.
func (s *API) importCameras(w http.ResponseWriter, r *http.Request) error {
	body := http.MaxBytesReader(w, r.Body, 4<<20)
	cams, err := s.cams.Import(r.Context(), cameraCaller(r), body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return httpx.Errorf(http.StatusRequestEntityTooLarge, "the file is larger than 4 MiB", err)
		}
		return cameraError(err)
	}
	a := httpx.AccessOf(r.Context())
	out := struct {
		Created []cameraJSON `json:"created"`
	}{Created: make([]cameraJSON, 0, len(cams))}
	for _, c := range cams {
		out.Created = append(out.Created, s.oneCameraJSON(r.Context(), a, c, a.Snap.On(a.P, rightsCamera(c), s.now())))
	}
	httpx.WriteJSON(w, http.StatusCreated, out)
	return nil
}
