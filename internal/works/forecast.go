package works

import (
	"time"

	"github.com/vigil-cctv/vigil/internal/money"
)

// Window is how far back the current rate of spending looks: the last 90
// days, or the days since the contract started when that is fewer. A
// quarter smooths one large order without hiding a change of pace.
const Window = 90

// Commitment is spend committed on a day: an order's committed amount,
// dated by its approval.
type Commitment struct {
	Day    time.Time
	Amount int64
}

// Forecast is when a contract's value runs out at the current rate.
type Forecast struct {
	Committed int64 // everything committed so far
	Remaining int64 // value less committed; negative when over
	// WindowDays and WindowSpend are the rate: WindowSpend committed in
	// the last WindowDays days (today included).
	WindowDays  int
	WindowSpend int64
	// RunOut is the day the value is used up at that rate: today if it
	// already is; nil when nothing was committed in the window, so that
	// no rate is known.
	RunOut *time.Time
	// BeforeEnd says RunOut falls on or before the contract's last day:
	// the value will not last the term.
	BeforeEnd bool
}

// RunOut forecasts a contract of value pence, running from start to its
// last day end, given what its orders commit and the day now.
//
// The rule: the rate is what was committed on the WindowDays days up to
// and including today, where WindowDays is Window or, for a contract
// younger than that, the days since it started; the remaining value lasts
// remaining × WindowDays ÷ WindowSpend days more, rounded up, counted
// from tomorrow.
func RunOut(value int64, start, end time.Time, cs []Commitment, now time.Time) Forecast {
	today := Date(now)
	f := Forecast{}
	for _, c := range cs {
		f.Committed += c.Amount
	}
	f.Remaining = value - f.Committed
	days := Window
	if since := int(today.Sub(Date(start)).Hours()/24) + 1; since < days {
		days = since
	}
	if days < 1 {
		days = 0
	}
	f.WindowDays = days
	first := today.AddDate(0, 0, 1-days)
	for _, c := range cs {
		d := Date(c.Day)
		if days > 0 && !d.Before(first) && !d.After(today) {
			f.WindowSpend += c.Amount
		}
	}
	switch {
	case f.Remaining <= 0:
		t := today
		f.RunOut = &t
	case f.WindowSpend > 0:
		n := int64(1 << 20) // beyond any term; keeps AddDate sane
		if r, err := money.Mul(f.Remaining, int64(days)); err == nil && r/f.WindowSpend < n {
			n = r / f.WindowSpend
			if r%f.WindowSpend != 0 {
				n++ // ceiling division: the day the last penny goes
			}
		}
		t := today.AddDate(0, 0, int(n))
		f.RunOut = &t
	}
	f.BeforeEnd = f.RunOut != nil && !f.RunOut.After(Date(end))
	return f
}
