package httpx

import (
	"context"
	"net/http"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// The server's middleware puts who is asking into a request's context
// (WithUser, WithCSRF once signed in, WithAccess once authorised), and
// the handlers behind it read them back.

type ctxKey int

const (
	userKey   ctxKey = iota
	csrfKey          // the session's CSRF token, for pages to embed
	accessKey        // the signed-in user's principal and snapshot
)

// Access is a signed-in request's user, their principal and the rights
// snapshot it is judged by.
type Access struct {
	User identity.User
	P    rights.Principal
	Snap *rights.Snapshot
}

// WithUser is ctx carrying the signed-in user.
func WithUser(ctx context.Context, u identity.User) context.Context {
	return context.WithValue(ctx, userKey, u)
}

// User is the signed-in user of a request; the zero User if none.
func User(ctx context.Context) identity.User {
	u, _ := ctx.Value(userKey).(identity.User)
	return u
}

// WithCSRF is ctx carrying the session's CSRF token, which the console's
// pages embed in their forms and scripts.
func WithCSRF(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, csrfKey, token)
}

// CSRF is the session's CSRF token; "" for a request made without a
// session cookie.
func CSRF(ctx context.Context) string {
	t, _ := ctx.Value(csrfKey).(string)
	return t
}

// WithAccess is ctx carrying the authorised request's access.
func WithAccess(ctx context.Context, a *Access) context.Context {
	return context.WithValue(ctx, accessKey, a)
}

// AccessOf is the request's access; nil before it is authorised.
func AccessOf(ctx context.Context) *Access {
	a, _ := ctx.Value(accessKey).(*Access)
	return a
}

// Actor is the signed-in user of r as the trail names them.
func Actor(r *http.Request) auditlog.Actor { return UserActor(User(r.Context()), r) }

// UserActor is u acting through request r, as the trail names them: a
// user signing in acts before they are in the request's context.
func UserActor(u identity.User, r *http.Request) auditlog.Actor {
	return auditlog.Actor{UserID: u.ID, Username: u.Username, OrganisationID: u.OrganisationID, RemoteAddr: r.RemoteAddr}
}

// IdentityCaller is the signed-in user of an authorised request with
// their rights, for the identity service to decide on the user asked
// about.
func IdentityCaller(r *http.Request) identity.Caller {
	a := AccessOf(r.Context())
	return identity.Caller{Actor: Actor(r), P: a.P, Snap: a.Snap}
}

// Entry is e as the trail keeps it: by the signed-in user of r, unless
// e names one, from r's address, at now unless e says when.
func Entry(r *http.Request, e auditlog.Entry, now time.Time) auditlog.Entry {
	if e.Username == "" {
		u := User(r.Context())
		e.UserID, e.Username, e.OrganisationID = u.ID, u.Username, u.OrganisationID
	}
	if e.RemoteAddr == "" {
		e.RemoteAddr = r.RemoteAddr
	}
	if e.At.IsZero() {
		e.At = now.UTC()
	}
	return e
}
