package trading

import (
	"time"

	"github.com/vigil-cctv/vigil/internal/period"
)

// Period is what invoices are issued for: a half-open range of UTC days
// [From, To), a calendar month, a quarter or a financial year (April to
// March), or any run of days, as period.ParseSpan reads it.
type Period = period.Span

// day is a UTC date at midnight.
func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
