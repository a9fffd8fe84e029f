package auth

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// MinPasswordLen is the shortest password CheckPasswordStrength accepts.
const MinPasswordLen = 12

// commonGz is the list of commonly used and breached passwords and
// dictionary words (COMMON_PASSWORDS.md says what it is and how to
// rebuild it): lower-case, sorted by bytes, one a line, gzipped.
//
//go:embed common_passwords.txt.gz
var commonGz []byte

// common is the list, unpacked at its first use: most runs of the binary
// never check a password, and it takes about 1.2 MB unpacked.
var common = sync.OnceValue(func() wordList {
	zr, err := gzip.NewReader(bytes.NewReader(commonGz))
	if err != nil {
		panic("auth: the embedded password list is damaged: " + err.Error())
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		panic("auth: the embedded password list is damaged: " + err.Error())
	}
	return wordList(b)
})

// wordList is a sorted list of lines, each ended by a newline, searched
// where it lies: no index, so the only memory it takes is its text.
type wordList string

// has reports whether w is one of the lines, by binary search over byte
// offsets: each probe backs up to the start of the line it falls in.
func (l wordList) has(w string) bool {
	s := string(l)
	lo, hi := 0, len(s) // s[lo:hi] is whole lines
	for lo < hi {
		mid := lo + (hi-lo)/2
		start := lo + strings.LastIndexByte(s[lo:mid], '\n') + 1
		end := start + strings.IndexByte(s[start:hi], '\n')
		switch c := strings.Compare(s[start:end], w); {
		case c == 0:
			return true
		case c < 0:
			lo = end + 1
		default:
			hi = start
		}
	}
	return false
}

// len is the number of entries.
func (l wordList) len() int { return strings.Count(string(l), "\n") }

// unambiguous leaves out characters that are easily misread or mistyped
// when a password is read aloud or copied from paper: 0 O o 1 l I.
const unambiguous = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

const randomPasswordLen = 20

// RandomPassword returns a new 20-character password drawn uniformly from
// an alphabet without look-alike characters.
func RandomPassword() string {
	for {
		p := randomString(randomPasswordLen)
		// A draw of a single character class is astronomically unlikely
		// but would fail the strength check that every password meets.
		if CheckPasswordStrength(p) == nil {
			return p
		}
	}
}

func randomString(n int) string {
	// Rejection sampling keeps the draw uniform: 256 is not a multiple of
	// the alphabet's size.
	limit := byte(256 - 256%len(unambiguous))
	out := make([]byte, 0, n)
	var buf [32]byte
	for len(out) < n {
		rand.Read(buf[:])
		for _, b := range buf {
			if b < limit && len(out) < n {
				out = append(out, unambiguous[int(b)%len(unambiguous)])
			}
		}
	}
	return string(out)
}

type charClass int

const (
	classLower charClass = iota
	classUpper
	classDigit
	classOther
)

var classNames = [...]string{"lower-case letters", "upper-case letters", "digits", "symbols"}

func classOf(r rune) charClass {
	switch {
	case unicode.IsLower(r):
		return classLower
	case unicode.IsUpper(r):
		return classUpper
	case unicode.IsDigit(r):
		return classDigit
	}
	return classOther
}

// CheckPasswordStrength rejects passwords that are short, drawn from a
// single class of characters, or a common password perhaps decorated with
// digits and symbols. The error says which, for showing to the user.
func CheckPasswordStrength(p string) error {
	if !utf8.ValidString(p) {
		return errors.New("auth: password is not valid UTF-8")
	}
	if len(p) > MaxPasswordLen {
		return fmt.Errorf("auth: password is longer than %d bytes", MaxPasswordLen)
	}
	if n := utf8.RuneCountInString(p); n < MinPasswordLen {
		return fmt.Errorf("auth: password has %d characters, needs at least %d", n, MinPasswordLen)
	}
	r0, _ := utf8.DecodeRuneInString(p)
	first := classOf(r0)
	single := true
	for _, r := range p {
		if classOf(r) != first {
			single = false
			break
		}
	}
	if single {
		return fmt.Errorf("auth: password has only %s; mix in other kinds of character", classNames[first])
	}
	if isCommon(p) {
		return errors.New("auth: password is a common one, or one with a few characters added; choose something less guessable")
	}
	return nil
}

// isCommon reports whether p is a listed password or word, perhaps
// decorated: lower-cased, with digits and symbols added at either end,
// letters written as look-alike digits and symbols ("P@ssw0rd"), or
// repeated ("AdminAdminAdmin").
func isCommon(p string) bool {
	list := common()
	var tried [40]string
	n := 0
	lower := strings.ToLower(p)
	check := func(w string) bool {
		// An entry of a few letters (there are words like "ab" and "qm")
		// counts only as the whole password or repeated: in
		// "7384951Xy02837" the digits are the strength, not the word.
		if len(w) < minDecoratedLen && w != lower {
			return false
		}
		if slices.Contains(tried[:n], w) {
			return false
		}
		if n < len(tried) {
			tried[n] = w
			n++
		}
		return list.has(w) || repeats(list, w)
	}
	// Look-alikes are read both before the decoration is cut off (so
	// "@dmin2024" keeps its a) and after (so "5uperm4n-2024" keeps its
	// digits out of the word).
	for _, f := range forms(lower) {
		if check(f) || check(unleet(f, 'i')) || check(unleet(f, 'l')) {
			return true
		}
	}
	for _, s := range [...]string{unleet(lower, 'i'), unleet(lower, 'l')} {
		for _, f := range forms(s) {
			if check(f) {
				return true
			}
		}
	}
	return false
}

// minDecoratedLen is the shortest entry refused with decoration around it.
const minDecoratedLen = 4

// forms are s and s with decoration cut off: digits and symbols from
// either end or both (keeping a listed "1qaz" whole in "1qaz2024!"), only
// symbols (keeping "abc123" in "abc123!!!"), and a possessive "'s".
func forms(s string) [8]string {
	notLetter := func(r rune) bool { return !unicode.IsLetter(r) }
	notAlnum := func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }
	core := strings.TrimFunc(s, notLetter)
	return [...]string{
		s,
		core,
		strings.TrimRightFunc(s, notLetter),
		strings.TrimLeftFunc(s, notLetter),
		strings.TrimFunc(s, notAlnum),
		strings.TrimRightFunc(s, notAlnum),
		strings.TrimLeftFunc(s, notAlnum),
		strings.TrimSuffix(core, "'s"),
	}
}

// repeats reports whether w is a listed entry written more than once
// over, as in "adminadmin".
func repeats(list wordList, w string) bool {
	for d := 1; d <= len(w)/2; d++ {
		if len(w)%d != 0 {
			continue
		}
		periodic := true
		for i := d; i < len(w); i++ {
			if w[i] != w[i-d] {
				periodic = false
				break
			}
		}
		if periodic && list.has(w[:d]) {
			return true
		}
	}
	return false
}

// unleet returns s with the digits and symbols most often written for
// letters read as those letters, or s itself if it has none. 1 stands
// for i or l, so unleet is given which.
func unleet(s string, one rune) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '1':
			return one
		case '@', '4':
			return 'a'
		case '0':
			return 'o'
		case '3':
			return 'e'
		case '!':
			return 'i'
		case '$', '5':
			return 's'
		case '7':
			return 't'
		}
		return r
	}, s)
}
