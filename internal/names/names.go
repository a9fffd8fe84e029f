// Package names is Vigil's one rule for a name that people read: of a
// user, organisation (council, department, police force, customer...),
// camera, camera group, site, area, layout, maintenance contractor, works
// supplier, finance category or API token. Every place that
// accepts such a name asks Check, in the store (the path the command line
// and the API share) and, for a message fit for the person typing, in the
// API.
//
// A name is shown on screens, in CSV and PDF reports, in the audit trail
// and in logs. Control characters can cut or forge those (a NUL ends a
// C string, a newline starts a fake log line), and Unicode's invisible
// format characters can make a name display as another: a right-to-left
// override turns "cam-exe.txt" around, a zero-width space makes two equal
// looking names differ. Check refuses both kinds.
//
// Usernames also name who did what in the audit trail, so one must not
// pass for another: "аdmin" with a Cyrillic а beside "admin". Skeleton
// gives the form of a username under which look-alikes are equal
// (Unicode's confusable skeleton, UTS #39, of its NFKC case-folded form);
// the store keeps it, unique, beside each user.
package names

import (
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/mtibben/confusables"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// ErrInvalid is matched (errors.Is) by every *Error.
var ErrInvalid = errors.New("names: not a name fit to show")

// Error says why a name was refused, in words fit for the person who
// chose it.
type Error struct {
	// What the name is of, as it begins a sentence: "a camera's name".
	What string
	// Rune is the refused character; utf8.RuneError when the name is not
	// UTF-8 at all.
	Rune rune
	// Pos is the refused character's place in the name, from 1.
	Pos int
}

func (e *Error) Error() string {
	if e.Rune == utf8.RuneError {
		return e.What + " is not valid UTF-8 text"
	}
	return fmt.Sprintf("%s must not hold control or invisible formatting characters (character %d is U+%04X)", e.What, e.Pos, e.Rune)
}

// Is makes every *Error match ErrInvalid.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// Check returns a *Error when s holds a character no name may: invalid
// UTF-8, a control character (Unicode category Cc: C0, DEL, C1), a format
// character (Cf: among them the bidirectional marks, embeddings,
// overrides and isolates U+200E-200F, U+202A-202E, U+2066-2069, the
// zero-width U+200B-200D and U+FEFF, the soft hyphen, the Arabic letter
// mark and Unicode tags), or a line or paragraph separator (U+2028,
// U+2029). All of Cf goes rather than a list of today's dangerous ones:
// none is visible, so none helps a person read a name. what names the
// name in the message, e.g. "a camera's name".
func Check(what, s string) error {
	pos := 0
	for i, r := range s {
		pos++
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size <= 1 {
				return &Error{What: what, Rune: utf8.RuneError, Pos: pos}
			}
		}
		if refused(r) {
			return &Error{What: what, Rune: r, Pos: pos}
		}
	}
	return nil
}

func refused(r rune) bool {
	return unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' ||
		unicode.Is(unicode.Cs, r)
}

// Skeleton is the form of a username under which names that look alike
// are equal: the UTS #39 confusable skeleton of its NFKC, case-folded
// form. "admin", "ADMIN", "аdmin" (Cyrillic а) and "ａｄｍｉｎ" (full width)
// share one. The skeleton is folded and skeletonised once more because
// Unicode's table maps some characters to capitals ("0" to "O"), which
// would otherwise keep "0live" apart from "olive". Folding comes first so
// that names differing only in case always match; the price is that a
// capital I, folded to i, is not taken for an l.
func Skeleton(username string) string {
	fold := cases.Fold()
	s := confusables.Skeleton(fold.String(norm.NFKC.String(username)))
	return confusables.Skeleton(fold.String(s))
}

// ErrConfusable is matched (errors.Is) by every *ConfusableError.
var ErrConfusable = errors.New("names: looks like another name")

// ConfusableError refuses a new username that looks like an existing one.
type ConfusableError struct {
	Name, Existing string
}

func (e *ConfusableError) Error() string {
	return fmt.Sprintf("the username %q looks too much like the existing username %q (letters of other scripts or cases that look alike count as the same)", e.Name, e.Existing)
}

// Is makes every *ConfusableError match ErrConfusable.
func (e *ConfusableError) Is(target error) bool { return target == ErrConfusable }
