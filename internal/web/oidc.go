package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// Single sign-on through an OpenID Connect provider: the authorisation
// code flow with PKCE (S256), a state that ties the answer to the browser
// that asked, and a nonce that ties the ID token to this sign-in. Users
// are made or updated from the token's claims at each sign-in (role and
// organisation mapped as configured), and found again by issuer and
// subject, never by a name the provider might reuse.

const (
	oidcCookie = "vigil_oidc"
	// oidcFlowLife is how long a sign-in may spend at the provider.
	oidcFlowLife = 10 * time.Minute
	// maxOIDCFlows bounds the sign-ins waiting on the provider, so that
	// following /login/oidc in a loop cannot fill memory.
	maxOIDCFlows = 10000
)

// oidcFlow is one sign-in gone to the provider.
type oidcFlow struct {
	state, nonce, verifier, next string
	expires                      time.Time
}

// oidcClient is the provider, discovered on first use (it may be down
// when Vigil starts), and the sign-ins under way.
type oidcClient struct {
	mu       sync.Mutex
	provider *oidc.Provider
	flows    map[string]oidcFlow // by the browser's cookie
}

// httpClient is what talks to the provider; its context must outlive any
// request, since the provider's keys are fetched again with it later.
func (s *Server) oidcContext() context.Context {
	return oidc.ClientContext(context.Background(), &http.Client{Timeout: 15 * time.Second})
}

func (s *Server) oidcProvider() (*oidc.Provider, error) {
	s.sso.mu.Lock()
	defer s.sso.mu.Unlock()
	if s.sso.provider != nil {
		return s.sso.provider, nil
	}
	p, err := oidc.NewProvider(s.oidcContext(), s.opt.OIDC.Issuer)
	if err != nil {
		return nil, err
	}
	s.sso.provider = p
	return p, nil
}

func (s *Server) oauthConfig(p *oidc.Provider) *oauth2.Config {
	o := s.opt.OIDC
	return &oauth2.Config{ClientID: o.ClientID, ClientSecret: o.ClientSecret, RedirectURL: o.RedirectURL, Endpoint: p.Endpoint(), Scopes: o.Scopes}
}

func randomString() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// oidcStart sends the browser to the provider.
func (s *Server) oidcStart(w http.ResponseWriter, r *http.Request) error {
	if !s.opt.OIDC.Enabled() {
		return httpx.Errorf(http.StatusNotFound, "single sign-on is not set up on this server", nil)
	}
	next := r.URL.Query().Get("next")
	p, err := s.oidcProvider()
	if err != nil {
		s.log.Error("single sign-on: provider unreachable", "issuer", s.opt.OIDC.Issuer, "err", err)
		return s.renderLogin(w, http.StatusServiceUnavailable, "Signing in with "+s.opt.OIDC.Name+" is not possible just now: the provider cannot be reached.", "", next)
	}
	f := oidcFlow{state: randomString(), nonce: randomString(), verifier: oauth2.GenerateVerifier(), next: safeOr(next), expires: s.now().Add(oidcFlowLife)}
	id := randomString()
	s.sso.mu.Lock()
	now := s.now()
	for k, v := range s.sso.flows {
		if now.After(v.expires) {
			delete(s.sso.flows, k)
		}
	}
	if len(s.sso.flows) >= maxOIDCFlows {
		s.sso.mu.Unlock()
		return httpx.Errorf(http.StatusServiceUnavailable, "too many sign-ins under way; try again in a few minutes", nil)
	}
	s.sso.flows[id] = f
	s.sso.mu.Unlock()
	// Lax, not Strict: the provider sends the browser back from its own
	// site, and a Strict cookie would not come with it.
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: id, Path: "/login/oidc", MaxAge: int(oidcFlowLife / time.Second),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.opt.TLS})
	http.Redirect(w, r, s.oauthConfig(p).AuthCodeURL(f.state, oidc.Nonce(f.nonce), oauth2.S256ChallengeOption(f.verifier)), http.StatusFound)
	return nil
}

// oidcCallback takes the provider's answer: checks it belongs to the
// sign-in this browser started, exchanges the code, verifies the ID token,
// and signs the user in.
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) error {
	if !s.opt.OIDC.Enabled() {
		return httpx.Errorf(http.StatusNotFound, "single sign-on is not set up on this server", nil)
	}
	name := s.opt.OIDC.Name
	refuse := func(code int, msg string, cause error) error {
		if cause != nil {
			s.log.Warn("single sign-on refused", "reason", msg, "err", cause)
		}
		s.auditTo(context.WithoutCancel(r.Context()), auditlog.Entry{At: s.now().UTC(), Action: auditlog.SignInFailed, RemoteAddr: r.RemoteAddr, Detail: "single sign-on: " + msg})
		return s.renderLogin(w, code, "Signing in with "+name+" failed: "+msg, "", "")
	}
	c, err := r.Cookie(oidcCookie)
	var f oidcFlow
	ok := false
	if err == nil {
		s.sso.mu.Lock()
		f, ok = s.sso.flows[c.Value]
		delete(s.sso.flows, c.Value) // one answer per sign-in
		s.sso.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: "/login/oidc", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.opt.TLS})
	q := r.URL.Query()
	switch {
	case !ok || s.now().After(f.expires):
		return refuse(http.StatusBadRequest, "the sign-in expired or was started in another browser; please try again.", nil)
	case subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.state)) != 1:
		return refuse(http.StatusBadRequest, "the answer does not belong to this sign-in; please try again.", nil)
	case q.Get("error") != "":
		return refuse(http.StatusUnauthorized, "the provider said "+printable(q.Get("error"), 60)+".", errors.New(printable(q.Get("error_description"), 200)))
	}
	p, err := s.oidcProvider()
	if err != nil {
		return refuse(http.StatusServiceUnavailable, "the provider cannot be reached.", err)
	}
	ctx, cancel := context.WithTimeout(s.oidcContext(), 30*time.Second)
	defer cancel()
	tok, err := s.oauthConfig(p).Exchange(ctx, q.Get("code"), oauth2.VerifierOption(f.verifier))
	if err != nil {
		return refuse(http.StatusBadGateway, "the provider did not accept the sign-in code.", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return refuse(http.StatusBadGateway, "the provider sent no ID token.", nil)
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: s.opt.OIDC.ClientID}).Verify(ctx, raw)
	if err != nil {
		return refuse(http.StatusUnauthorized, "the provider's ID token is not valid.", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.nonce)) != 1 {
		return refuse(http.StatusUnauthorized, "the ID token is not for this sign-in.", nil)
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return refuse(http.StatusBadGateway, "the ID token's claims cannot be read.", err)
	}
	// Providers often put groups and the like only in the UserInfo
	// answer; what the signed ID token says wins.
	if ui, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil && ui.Subject == idt.Subject {
		extra := map[string]any{}
		if ui.Claims(&extra) == nil {
			for k, v := range extra {
				if _, ok := claims[k]; !ok {
					claims[k] = v
				}
			}
		}
	}
	u, msg, err := s.oidcUser(r, idt.Issuer, idt.Subject, claims)
	if err != nil {
		return err
	}
	if msg != "" {
		return refuse(http.StatusForbidden, msg, nil)
	}
	how := "single sign-on (" + idt.Issuer + ")"
	if s.secondFactorDue(u) && u.TOTPEnabled {
		return s.startPending(w, r, u, f.next, true)
	}
	return s.signedIn(w, r, u, how, f.next, true)
}

// oidcUser finds or makes the user the claims describe, with the role and
// organisation they map to now. msg says why the claims admit nobody.
func (s *Server) oidcUser(r *http.Request, issuer, subject string, claims map[string]any) (identity.User, string, error) {
	ctx := r.Context()
	o := s.opt.OIDC
	role := ""
	values := claimStrings(claims[o.RoleClaim])
	for _, m := range o.Roles {
		if slices.Contains(values, m.Value) {
			role = m.Role
			break
		}
	}
	if role == "" {
		role = o.DefaultRole
	}
	if role == "" {
		return identity.User{}, fmt.Sprintf("your account has no role in Vigil (claim %q: %s).", o.RoleClaim, strings.Join(values, ", ")), nil
	}
	orgName := ""
	if v := claimStrings(claims[o.OrganisationClaim]); len(v) > 0 {
		orgName = v[0]
	} else {
		orgName = o.DefaultOrganisation
	}
	if orgName == "" {
		return identity.User{}, fmt.Sprintf("your account names no organisation (claim %q).", o.OrganisationClaim), nil
	}
	if len(o.AllowedOrganisations) > 0 && !slices.Contains(o.AllowedOrganisations, orgName) {
		return identity.User{}, fmt.Sprintf("the organisation %q may not sign in here.", printable(orgName, 100)), nil
	}
	orgs, err := s.st.ListOrganisations(ctx)
	if err != nil {
		return identity.User{}, "", err
	}
	var orgID int64
	for _, org := range orgs {
		if org.Name == orgName {
			orgID = org.ID
		}
	}
	if orgID == 0 {
		return identity.User{}, fmt.Sprintf("the organisation %q is not known to Vigil.", printable(orgName, 100)), nil
	}

	name := ""
	for _, c := range []string{o.UsernameClaim, "preferred_username", "email"} {
		if v := claimStrings(claims[c]); len(v) > 0 && v[0] != "" {
			name = v[0]
			break
		}
	}
	if name == "" {
		name = subject
	}
	claimed := name
	if name != printable(name, 100) {
		// Fine for an account already linked; a new one needs a name.
		claimed = ""
	}
	u, err := s.id.LinkOIDC(ctx, r.RemoteAddr, identity.OIDCClaims{Issuer: issuer, Subject: subject, Username: claimed, Role: role, OrganisationID: orgID})
	if errors.Is(err, identity.ErrNoUsername) {
		return identity.User{}, "your username at the provider is not one Vigil can use.", nil
	}
	if errors.Is(err, identity.ErrNameTaken) {
		return identity.User{}, fmt.Sprintf("the username %q is taken by, or looks like, another Vigil account; ask an administrator.", name), nil
	}
	if err != nil {
		return identity.User{}, "", err
	}
	return u, "", nil
}

// claimStrings reads a claim that is a string or a list of strings.
func claimStrings(v any) []string {
	switch c := v.(type) {
	case string:
		return []string{c}
	case []any:
		var out []string
		for _, e := range c {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// printable keeps what is safe to show and log of a provider's text.
func printable(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, s)
	if len(s) > n {
		s = clipString(s, n)
	}
	return s
}

func clipString(s string, n int) string {
	for n > 0 && n < len(s) && !isRuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
