package auth

import (
	"crypto/rand"
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MinPasswordLen is the shortest password CheckPasswordStrength accepts.
const MinPasswordLen = 12

//go:embed common_passwords.txt
var commonText string

var common = func() map[string]bool {
	m := make(map[string]bool)
	for line := range strings.Lines(commonText) {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			m[line] = true
		}
	}
	return m
}()

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

// isCommon reports whether p, lower-cased and with leading and trailing
// digits and symbols removed, is a listed password or one repeated, as in
// "Password2024!" or "adminadmin".
func isCommon(p string) bool {
	lower := strings.ToLower(p)
	if common[lower] {
		return true
	}
	core := strings.TrimFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) })
	if core == "" {
		// Only digits and symbols: the whole string is what matters.
		core = lower
	}
	if common[core] {
		return true
	}
	for w := range common {
		if len(core) > len(w) && len(core)%len(w) == 0 && strings.Repeat(w, len(core)/len(w)) == core {
			return true
		}
	}
	return false
}
