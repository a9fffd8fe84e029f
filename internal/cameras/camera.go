// Package cameras owns the cameras: what a camera is (its address, its
// sealed credentials, its filing and position, how long its footage is
// kept), the rules a change to one must keep, and the changes themselves,
// each committed with its audit record and with the dated event the
// recharge counts it by, so that the trail, the finance history and the
// camera never disagree. It also owns the layouts people save of the
// video wall, checks a file of cameras to import (all or none), and words
// what a camera answered a connection test (the dialling is a Prober's,
// outside this package). Who may change which camera is decided by the
// caller today; storage is behind Repo, which the store implements.
package cameras

import (
	"encoding/json"
	"errors"
	"time"
)

// Camera is a recording source.
type Camera struct {
	ID, OrganisationID int64
	Name, URL          string // URL holds no credentials
	Credentials        []byte // opaque, sealed by SealCredentials
	Transport          string // "tcp" or "udp"
	// RetentionDays is how long footage is kept. 0 means no age limit:
	// footage then goes only when its storage fills up, because a slip
	// that deleted everything at once would be far worse.
	RetentionDays int
	Enabled       bool
	// Area and Site file the camera in the console's tree (partner, then
	// area, then site); empty means not filed.
	Area, Site  string
	Description string
	// Latitude and Longitude are WGS 84 degrees, both set or both nil.
	Latitude, Longitude *float64
	CreatedAt           time.Time
	UpdatedAt           time.Time
	DeletedAt           *time.Time
}

// Ownership is one period during which an organisation owned a camera:
// from Since until Until, nil while it lasts. Every change of a camera's
// owner ends one and opens the next in the same transaction, so that a
// four-eyes policy can follow footage recorded under an owner after the
// camera has left it.
type Ownership struct {
	OrganisationID int64
	Since          time.Time
	Until          *time.Time
}

// Limits on a camera's filing, in characters: a tree label, not prose.
const (
	MaxPlace       = 100
	MaxDescription = 2000
)

// Opener opens sealed values (a *secret.Box).
type Opener interface {
	Open(sealed, associated []byte) ([]byte, error)
}

// Sealer seals and opens values (a *secret.Box).
type Sealer interface {
	Opener
	Seal(plain, associated []byte) []byte
}

// credentials are what is sealed in a camera row.
type credentials struct {
	Username string `json:"u"`
	Password string `json:"p"`
}

// credentialsAD binds sealed credentials to their purpose.
var credentialsAD = []byte("vigil camera credentials v1")

// ErrCredentials is a camera's sealed credentials that cannot be opened:
// another server's key, or a damaged row.
var ErrCredentials = errors.New("stored camera credentials cannot be read")

// Credentials opens a camera's sealed credentials; none is "", "".
func Credentials(box Opener, c Camera) (username, password string, err error) {
	cr, err := openCredentials(box, c)
	return cr.Username, cr.Password, err
}

func openCredentials(box Opener, c Camera) (credentials, error) {
	var cr credentials
	if len(c.Credentials) == 0 {
		return cr, nil
	}
	plain, err := box.Open(c.Credentials, credentialsAD)
	if err != nil {
		return cr, errors.Join(ErrCredentials, err)
	}
	if err := json.Unmarshal(plain, &cr); err != nil {
		return cr, errors.Join(ErrCredentials, err)
	}
	return cr, nil
}

// sealCredentials seals cr into c, or clears c's when cr is empty.
func sealCredentials(box Sealer, c *Camera, cr credentials) {
	if cr.Username == "" && cr.Password == "" {
		c.Credentials = nil
		return
	}
	plain, _ := json.Marshal(cr)
	c.Credentials = box.Seal(plain, credentialsAD)
}
