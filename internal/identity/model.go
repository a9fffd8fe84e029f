package identity

import "time"

// User is someone who signs in to Vigil.
type User struct {
	ID             int64
	Username       string
	PasswordHash   string
	OrganisationID int64
	// Role is the role the account was made with, kept for display; what
	// the user may do comes from their roles (the store's UserRoles), of
	// which creating the user makes this the first when it names a
	// built-in role.
	Role               string
	MustChangePassword bool
	CreatedAt          time.Time
	// TOTPEnabled says the user has a confirmed TOTP second factor; the
	// secret itself is read only when a code is checked (UserTOTP).
	TOTPEnabled bool
	// OIDCIssuer and OIDCSubject name the user at an OpenID provider;
	// both are empty for users who sign in with a password.
	OIDCIssuer, OIDCSubject string
	// CreatedBy is the user who made the account through the server; 0
	// for one made otherwise (the first administrator, the command
	// line, the demo, a single sign-on) or before this was kept.
	CreatedBy int64
}

// Token is an API token or a console session: a secret that names a
// user. Only its hash is stored.
type Token struct {
	ID, UserID int64
	Name       string
	Hash       []byte
	CreatedAt  time.Time
	ExpiresAt  *time.Time // nil: never expires
	LastUsedAt *time.Time
	// Kind is TokenAPI (the default), TokenSession or TokenPending. A
	// token is only ever accepted as its own kind, so a session cookie
	// is no bearer token and a half-finished sign-in is neither.
	Kind string
	// RemoteAddr and UserAgent say where a session was started.
	RemoteAddr, UserAgent string
}

// Token kinds.
const (
	TokenAPI     = "api"
	TokenSession = "session"
	// TokenPending is a sign-in that has passed its password and waits
	// for the second factor: good for nothing but giving the code.
	TokenPending = "pending"
)

// Throttle is the count of recent failed sign-ins of one subject (an
// account name or a remote address) and the lock they earned. The policy
// (how many, how long) is the service's (auth.Lockout); storage only
// keeps the count and changes it atomically.
type Throttle struct {
	Subject     string
	Failures    int
	LockedUntil time.Time // zero: not locked
	LastFailure time.Time
	// Version is the row's write count, 0 when there is no row: what
	// SwapThrottle compares.
	Version int64
}
