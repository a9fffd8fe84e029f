package auth

import (
	"fmt"
	"time"
)

// Lockout is the back-off applied to one kind of sign-in subject (an
// account, or a remote address): after Threshold failures in a row the
// subject is locked for Base, and each further failure doubles the lock,
// up to Max. Failures are forgotten after Forget without another.
type Lockout struct {
	Threshold int
	Base, Max time.Duration
	Forget    time.Duration
}

// Attempts is what is kept of a subject's recent failures.
type Attempts struct {
	Failures    int
	LockedUntil time.Time
	LastFailure time.Time
}

// Begin counts an attempt before it is checked, so that attempts made at
// once cannot slip past the threshold while their passwords are being
// hashed: each is a failure until it succeeds. It returns the record to
// keep, and if the subject is locked at now, the record unchanged and how
// long is left (nothing is counted: a locked subject's attempts are
// refused unchecked).
func (l Lockout) Begin(a Attempts, now time.Time) (Attempts, time.Duration) {
	if now.Before(a.LockedUntil) {
		return a, a.LockedUntil.Sub(now)
	}
	if !a.LastFailure.IsZero() && now.Sub(a.LastFailure) > l.Forget {
		a = Attempts{}
	}
	a.Failures++
	a.LastFailure = now
	if a.Failures >= l.Threshold {
		a.LockedUntil = now.Add(l.lockFor(a.Failures))
	}
	return a, 0
}

// lockFor is the lock earned by the nth failure in a row.
func (l Lockout) lockFor(n int) time.Duration {
	d := l.Base
	for i := l.Threshold; i < n && d < l.Max; i++ {
		d *= 2
	}
	return min(d, l.Max)
}

// Undo takes back one attempt that Begin counted and that succeeded, for
// subjects that succeed in the ordinary way of things (an address where
// many people sign in) and so are not reset.
func (l Lockout) Undo(a Attempts) Attempts {
	a.Failures = max(0, a.Failures-1)
	if a.Failures < l.Threshold {
		a.LockedUntil = time.Time{}
	}
	return a
}

// WaitMessage says how long to wait, for people: "try again in 2 minutes".
func WaitMessage(d time.Duration) string {
	secs := int((d + time.Second - 1) / time.Second)
	mins := (secs + 59) / 60
	switch {
	case secs <= 1:
		return "try again in a second"
	case secs < 50:
		// Under a minute but near it reads as "1 minute": a lock of a
		// minute says so, not "59 seconds" a moment after it began.
		return fmt.Sprintf("try again in %d seconds", secs)
	case mins == 1:
		return "try again in 1 minute"
	case mins < 120:
		return fmt.Sprintf("try again in %d minutes", mins)
	}
	return fmt.Sprintf("try again in %d hours", (mins+59)/60)
}
