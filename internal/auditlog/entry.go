package auditlog

import (
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// Entry is one thing that happened, as a caller reports it.
type Entry struct {
	At                   time.Time // zero: now
	UserID               int64
	Username             string
	OrganisationID       int64
	Action               Action // one of the registry's (actions.go)
	CameraID             int64
	RangeStart, RangeEnd *time.Time
	RemoteAddr           string
	Reason               string // why, in the user's words, where one was given
	Detail               string
}

// Actor is who does something, as the trail names them: the user (or
// "vigil", for what Vigil does itself), their organisation, and where the
// request came from. A service is handed one by its caller (a request, the
// command line, a scheduler) and writes it into each record.
type Actor struct {
	UserID         int64
	Username       string
	OrganisationID int64
	RemoteAddr     string
}

// System is Vigil acting by itself: retention, a scheduler.
var System = Actor{Username: "vigil"}

// Entry is a record of action by the actor, with the detail given; set the
// camera, range or reason on the result where there are any.
func (a Actor) Entry(action Action, detail string) Entry {
	return Entry{UserID: a.UserID, Username: a.Username, OrganisationID: a.OrganisationID,
		RemoteAddr: a.RemoteAddr, Action: action, Detail: detail}
}

// ErrNoAction refuses an entry whose action is the zero Action: a writer
// that looked its action up in a map of its own and missed.
var ErrNoAction = errors.New("audit: an entry needs an action")

// MaxField bounds each text field, so that a hostile sign-in name cannot
// fill the trail; longer text is cut, visibly.
const MaxField = 2000

// Clean makes s storable on both engines (valid UTF-8, no NUL, which
// PostgreSQL's TEXT refuses) and bounds its length.
func Clean(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	if len(s) > MaxField {
		cut := MaxField
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "… (cut)"
	}
	return s
}
