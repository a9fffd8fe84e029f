// Package problem is the vocabulary every capability uses to say why it
// refused: the thing is not there, the caller may not, the input is wrong,
// it clashes with what exists. The transports turn these into their own
// terms (HTTP statuses, the command line's exit messages) in one place
// each, so a service never knows about HTTP and a handler never guesses
// from an error's text.
//
// A refusal is a *Problem: its Kind, a message safe to show whoever asked,
// and the cause, which is logged and never shown. errors.Is(err, Kind)
// tells refusals apart; a store's sentinels are the same values, so
// errors.Is(err, problem.ErrNotFound) holds for a row that is missing too.
package problem

import (
	"errors"
	"fmt"
)

// The kinds of refusal.
var (
	// ErrNotFound: the thing does not exist, or is outside what the caller
	// may know of (the two are one answer, so scope does not leak).
	ErrNotFound = errors.New("not found")
	// ErrForbidden: the caller may see the thing but not do this to it.
	ErrForbidden = errors.New("forbidden")
	// ErrInvalid: the input breaks a rule; the message says which.
	ErrInvalid = errors.New("invalid")
	// ErrConflict: the change clashes with what exists (a taken name, a
	// request already decided).
	ErrConflict = errors.New("conflict")
	// ErrUnavailable: something the change depends on cannot be reached
	// now; trying again later may work.
	ErrUnavailable = errors.New("unavailable")
)

// Problem is a refusal: its kind, a message safe to show, and the cause.
type Problem struct {
	Kind error
	Msg  string
	Err  error
}

func (p *Problem) Error() string {
	if p.Err != nil {
		return p.Msg + ": " + p.Err.Error()
	}
	return p.Msg
}

// Is makes errors.Is(p, p.Kind) hold.
func (p *Problem) Is(target error) bool { return target == p.Kind }

func (p *Problem) Unwrap() error { return p.Err }

// New is a refusal of kind with a safe message and an optional cause.
func New(kind error, msg string, cause error) *Problem {
	return &Problem{Kind: kind, Msg: msg, Err: cause}
}

// Notf, Forbiddenf, Invalidf and Conflictf format a message.
func Notf(format string, args ...any) *Problem {
	return &Problem{Kind: ErrNotFound, Msg: fmt.Sprintf(format, args...)}
}

func Forbiddenf(format string, args ...any) *Problem {
	return &Problem{Kind: ErrForbidden, Msg: fmt.Sprintf(format, args...)}
}

func Invalidf(format string, args ...any) *Problem {
	return &Problem{Kind: ErrInvalid, Msg: fmt.Sprintf(format, args...)}
}

func Conflictf(format string, args ...any) *Problem {
	return &Problem{Kind: ErrConflict, Msg: fmt.Sprintf(format, args...)}
}

// Message is the safe message of err's *Problem, or fallback.
func Message(err error, fallback string) string {
	var p *Problem
	if errors.As(err, &p) && p.Msg != "" {
		return p.Msg
	}
	return fallback
}
