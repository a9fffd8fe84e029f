package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// roleJSON is one role a user holds.
type roleJSON struct {
	Role          string `json:"role"`
	Title         string `json:"title"`
	CameraGroupID int64  `json:"camera_group_id"` // 0: all of the organisation's cameras
}

func rolesJSON(rs []access.UserRole) []roleJSON {
	out := []roleJSON{}
	for _, r := range rs {
		out = append(out, roleJSON{Role: r.Role, Title: rights.Role(r.Role).Title(), CameraGroupID: r.CameraGroupID})
	}
	return out
}

func grantRoles(gs []rights.Grant) []access.UserRole {
	out := []access.UserRole{}
	for _, g := range gs {
		out = append(out, access.UserRole{Role: string(g.Role), CameraGroupID: g.Group})
	}
	return out
}

func describeUserRoles(rs []access.UserRole) string {
	if len(rs) == 0 {
		return "none"
	}
	var parts []string
	for _, r := range rs {
		p := r.Role
		if r.CameraGroupID != 0 {
			p += fmt.Sprintf(" (camera group %d)", r.CameraGroupID)
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}

// me answers who the signed-in user is and what they may do: the
// console and API clients use it to show only what will work.
func (s *API) me(w http.ResponseWriter, r *http.Request) error {
	a := httpx.AccessOf(r.Context())
	org, _ := a.Snap.Org(a.User.OrganisationID)
	httpx.WriteJSON(w, http.StatusOK, map[string]any{
		"id": a.User.ID, "username": a.User.Username, "organisation_id": a.User.OrganisationID, "organisation": org.Name,
		"roles": rolesJSON(grantRoles(a.P.Grants)), "rights": a.P.Holds().List(),
		"must_change_password": a.User.MustChangePassword,
	})
	return nil
}

// listRoles answers the built-in roles and what each may do.
func (s *API) listRoles(w http.ResponseWriter, r *http.Request) error {
	type roleInfo struct {
		Role   rights.Role     `json:"role"`
		Title  string          `json:"title"`
		About  string          `json:"about"`
		Rights []rights.Action `json:"rights"`
	}
	out := []roleInfo{}
	for _, ri := range rights.Roles {
		out = append(out, roleInfo{Role: ri.Role, Title: ri.Title, About: ri.About, Rights: ri.Can.List()})
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// userJSON is a user as the API shows it: never the password's hash.
type userJSON struct {
	ID                 int64      `json:"id"`
	Username           string     `json:"username"`
	OrganisationID     int64      `json:"organisation_id"`
	Organisation       string     `json:"organisation"`
	Roles              []roleJSON `json:"roles"`
	MustChangePassword bool       `json:"must_change_password"`
	CreatedAt          time.Time  `json:"created_at"`
	// SecondFactor says a TOTP second factor is set up; Locked, that
	// sign-ins are refused now for too many failures.
	SecondFactor bool `json:"second_factor"`
	Locked       bool `json:"locked"`
	// LastSignIn is when they last began a console session, if known.
	LastSignIn *time.Time `json:"last_sign_in"`
	// Password is set once, in the answer that made the account with a
	// generated password.
	Password string `json:"password,omitempty"`
	// Approval is the pending request for the roles asked for, when a
	// four-eyes policy holds them.
	Approval *approvalJSON `json:"approval,omitempty"`
}

func (s *API) userJSON(ctx context.Context, u identity.User, password string) (userJSON, error) {
	roles, err := s.st.UserRoles(ctx, u.ID)
	if err != nil {
		return userJSON{}, err
	}
	org, err := s.st.Organisation(ctx, u.OrganisationID)
	if err != nil {
		return userJSON{}, err
	}
	locked, err := s.id.Locked(ctx, u)
	if err != nil {
		return userJSON{}, err
	}
	last, err := s.id.LastSignIn(ctx, u.ID)
	if err != nil {
		return userJSON{}, err
	}
	return userJSON{ID: u.ID, Username: u.Username, OrganisationID: u.OrganisationID, Organisation: org.Name, Roles: rolesJSON(roles),
		MustChangePassword: u.MustChangePassword, CreatedAt: u.CreatedAt, Password: password, SecondFactor: u.TOTPEnabled, Locked: locked, LastSignIn: last}, nil
}

// targetUser returns the request's {id} user if the signed-in user
// manages users in their organisation; anyone else is "no user N".
func (s *API) targetUser(r *http.Request) (identity.User, error) {
	id, err := httpx.PathID(r, "user")
	if err != nil {
		return identity.User{}, err
	}
	u, err := s.id.TargetUser(r.Context(), httpx.IdentityCaller(r), id)
	return u, httpx.Refusal(err)
}

func (s *API) listUsers(w http.ResponseWriter, r *http.Request) error {
	users, err := s.st.ListUsers(r.Context())
	if err != nil {
		return err
	}
	a := httpx.AccessOf(r.Context())
	out := []userJSON{}
	for _, u := range users {
		if !a.Snap.CanOrg(a.P, rights.ManageUsers, u.OrganisationID).Allowed {
			continue
		}
		org, _ := a.Snap.Org(u.OrganisationID)
		roles := grantRoles(a.Snap.Principal(u.ID, u.OrganisationID).Grants)
		if !a.Snap.Known(u.ID) {
			if roles, err = s.st.UserRoles(r.Context(), u.ID); err != nil {
				return err
			}
		}
		locked, err := s.id.Locked(r.Context(), u)
		if err != nil {
			return err
		}
		last, err := s.id.LastSignIn(r.Context(), u.ID)
		if err != nil {
			return err
		}
		out = append(out, userJSON{ID: u.ID, Username: u.Username, OrganisationID: u.OrganisationID, Organisation: org.Name,
			Roles: rolesJSON(roles), MustChangePassword: u.MustChangePassword, CreatedAt: u.CreatedAt, SecondFactor: u.TOTPEnabled, Locked: locked,
			LastSignIn: last})
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *API) getUser(w http.ResponseWriter, r *http.Request) error {
	u, err := s.targetUser(r)
	if err != nil {
		return err
	}
	out, err := s.userJSON(r.Context(), u, "")
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// rolesInput is a list of roles, each a role name or
// {"role": NAME, "camera_group_id": ID}.
type rolesInput []access.UserRole

// UnmarshalJSON implements json.Unmarshaler.
func (ri *rolesInput) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := rolesInput{}
	for _, m := range raw {
		var name string
		if json.Unmarshal(m, &name) == nil {
			out = append(out, access.UserRole{Role: name})
			continue
		}
		var obj struct {
			Role          string `json:"role"`
			CameraGroupID int64  `json:"camera_group_id"`
		}
		dec := json.NewDecoder(strings.NewReader(string(m)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&obj); err != nil {
			return fmt.Errorf(`a role is a name or {"role": NAME, "camera_group_id": ID}: %w`, err)
		}
		out = append(out, access.UserRole{Role: obj.Role, CameraGroupID: obj.CameraGroupID})
	}
	*ri = out
	return nil
}

// userInput is the body of POST /api/v1/users.
type userInput struct {
	Username       string     `json:"username"`
	Password       *string    `json:"password"`
	OrganisationID *int64     `json:"organisation_id"`
	Roles          rolesInput `json:"roles"`
	// MustChangePassword may only be true, as it is when left out: a
	// password someone else chose or the server made is changed at the
	// first sign-in, so the one who made the account cannot go on
	// using it as theirs unseen.
	MustChangePassword *bool `json:"must_change_password"`
}

// createUser makes an account in an organisation the user manages users
// of. Without a password one is generated and answered this once. Roles
// given are a change of rights like any other: where four eyes applies
// the account is made without them and they wait for approval.
func (s *API) createUser(w http.ResponseWriter, r *http.Request) error {
	var in userInput
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	a := httpx.AccessOf(r.Context())
	in.Username = strings.TrimSpace(in.Username)
	if err := identity.CheckUsername(in.Username); err != nil {
		return httpx.Refusal(err)
	}
	org := a.User.OrganisationID
	if in.OrganisationID != nil {
		org = *in.OrganisationID
	}
	if err := s.orgFor(r, rights.ManageUsers, org); err != nil {
		return err
	}
	if err := s.accessCaller(r).CheckRoles(in.Roles, org); err != nil {
		return httpx.Refusal(err)
	}
	u, generated, err := s.id.CreateUser(r.Context(), httpx.UserActor(a.User, r), identity.NewUser{Username: in.Username, OrganisationID: org,
		Password: in.Password, MustChangePassword: in.MustChangePassword})
	if err != nil {
		return httpx.Refusal(storeError(err, fmt.Sprintf("the username %q is taken", in.Username)))
	}
	s.changed()
	w.Header().Set("Location", fmt.Sprintf("/api/v1/users/%d", u.ID))
	if len(in.Roles) == 0 {
		out, err := s.userJSON(r.Context(), u, generated)
		if err != nil {
			return err
		}
		httpx.WriteJSON(w, http.StatusCreated, out)
		return nil
	}
	// The roles go through the same path as any change of roles, and its
	// answer is captured to fold into this one.
	rec := &captured{header: http.Header{}}
	ch := change{Kind: kindSetRoles, Need: rights.ManageUsers, Orgs: []int64{org}, UserID: u.ID, Roles: in.Roles}
	summary := fmt.Sprintf("Give new user %s the roles %s", u.Username, describeUserRoles(in.Roles))
	hold, summary, err := s.rolesHold(r.Context(), a, u, nil, in.Roles, summary)
	if err != nil {
		return err
	}
	if err := s.proposeUnder(rec, r, ch, http.StatusOK, summary, "", hold); err != nil {
		return err
	}
	out, err := s.userJSON(r.Context(), u, generated)
	if err != nil {
		return err
	}
	if rec.code == http.StatusAccepted {
		var ap approvalJSON
		if err := json.Unmarshal(rec.body, &ap); err == nil {
			out.Approval = &ap
		}
	}
	httpx.WriteJSON(w, http.StatusCreated, out)
	return nil
}

// captured is a ResponseWriter that keeps what was written.
type captured struct {
	header http.Header
	code   int
	body   []byte
}

func (c *captured) Header() http.Header { return c.header }
func (c *captured) WriteHeader(code int) {
	if c.code == 0 {
		c.code = code
	}
}
func (c *captured) Write(b []byte) (int, error) {
	if c.code == 0 {
		c.code = http.StatusOK
	}
	c.body = append(c.body, b...)
	return len(b), nil
}

func (s *API) deleteUser(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "user")
	if err != nil {
		return err
	}
	var in struct {
		Reason string `json:"reason"` // optional here, kept with the record
	}
	if err := httpx.DecodeOptionalJSON(r, &in); err != nil {
		return err
	}
	if err := s.id.DeleteUser(r.Context(), httpx.IdentityCaller(r), id, in.Reason); err != nil {
		return httpx.Refusal(err)
	}
	s.changed()
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// putUserRoles replaces a user's roles: a change of rights, so four eyes
// may apply, and nobody changes their own.
func (s *API) putUserRoles(w http.ResponseWriter, r *http.Request) error {
	u, err := s.targetUser(r)
	if err != nil {
		return err
	}
	var in struct {
		Roles  *rolesInput `json:"roles"`
		Reason string      `json:"reason"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if in.Roles == nil {
		return httpx.BadRequest(`give the roles, e.g. {"roles": ["operator"]} or {"roles": [{"role": "operator", "camera_group_id": 3}]}`)
	}
	// Nobody changes their own; which roles may be given is access's.
	if err := s.accessCaller(r).CheckSetRoles(u.ID, u.OrganisationID, *in.Roles); err != nil {
		return httpx.Refusal(err)
	}
	if utf8.RuneCountInString(in.Reason) > maxReason {
		return httpx.BadRequest(fmt.Sprintf("the reason must be at most %d characters", maxReason))
	}
	old, err := s.st.UserRoles(r.Context(), u.ID)
	if err != nil {
		return err
	}
	ch := change{Kind: kindSetRoles, Need: rights.ManageUsers, Orgs: []int64{u.OrganisationID}, UserID: u.ID, Roles: *in.Roles}
	hold, summary, err := s.rolesHold(r.Context(), httpx.AccessOf(r.Context()), u, old, *in.Roles,
		fmt.Sprintf("Set the roles of %s to %s", u.Username, describeUserRoles(*in.Roles)))
	if err != nil {
		return err
	}
	return s.proposeUnder(w, r, ch, http.StatusOK, summary, in.Reason, hold)
}
