// Package finance holds the partnership's money: camera monitoring
// categories and their weights, the dated history of every camera, the
// recharge of the partnership's net cost to its partners by their
// time-weighted equivalent camera numbers, and the quarterly statement in
// the shape councils report it. Everything is integer arithmetic: money in
// pence, weights in parts per million, time in whole days, so a figure is
// the same on every machine and every run.
//
// It owns the recharge's model and rules, and its Service is the one way
// the figures change: it decides who may (manage_finance at the
// partnership itself, read_finance for the organisations one reads) and
// commits each change with its audit record in one transaction, through
// a Repo that the store implements. It never imports the store, so the
// store can use its types.
package finance

import (
	"fmt"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/period"
)

// Period is the statement's period: a financial year or one of its
// quarters, as package period reads and writes them.
type Period = period.Period

// Day truncates t to its UTC day: history is kept in whole days.
func Day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// ParseDay reads a date as councils write it in spreadsheets, 2024-07-01
// or 01/07/2024.
func ParseDay(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", "02/01/2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("date %q: write it as 2024-07-01 or 01/07/2024", s)
}

// dayNumber counts days since the Unix epoch; history arithmetic is on
// these rather than on time.Time, which is both faster and exact.
func dayNumber(t time.Time) int64 {
	s := t.Unix()
	if s < 0 {
		return (s - 86399) / 86400
	}
	return s / 86400
}
