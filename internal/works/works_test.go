package works

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/money"
	"github.com/vigil-cctv/vigil/internal/period"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// The Harrow contract: £1.742m from 31 October 2025 to 1 August 2027.
var (
	harrowStart = day(2025, 10, 31)
	harrowEnd   = day(2027, 8, 1)
	harrowValue = int64(174_200_000)
)

func TestRunOut(t *testing.T) {
	ptr := func(t time.Time) *time.Time { return &t }
	tests := []struct {
		name      string
		now       time.Time // the fake clock
		cs        []Commitment
		wantDays  int
		wantSpend int64
		want      *time.Time
		beforeEnd bool
	}{
		{name: "nothing committed: no rate, no date", now: day(2026, 3, 1), wantDays: 90},
		{name: "before the start", now: day(2025, 10, 1), cs: nil, wantDays: 0},
		{
			// £174,200 over 90 days is
			// £1,935.56 a day: the remaining £1,567,800 lasts 810 days.
			name: "a steady rate outlasts the term", now: day(2026, 6, 30),
			cs:       []Commitment{{day(2026, 5, 1), 17_420_000}},
			wantDays: 90, wantSpend: 17_420_000, want: ptr(day(2026, 6, 30).AddDate(0, 0, 810)),
		},
		{
			// Committed £1.2m, £900k of it in the last 90 days: £542k
			// left at £10k a day lasts 54.2, so 55, days.
			name: "a fast rate runs out before the end", now: day(2026, 9, 1),
			cs:       []Commitment{{day(2026, 1, 10), 30_000_000}, {day(2026, 6, 15), 60_000_000}, {day(2026, 9, 1), 30_000_000}},
			wantDays: 90, wantSpend: 90_000_000, want: ptr(day(2026, 10, 26)), beforeEnd: true,
		},
		{
			// Ten days in: the window is the ten days since the start.
			name: "a young contract's window is its age", now: day(2025, 11, 9),
			cs:       []Commitment{{day(2025, 11, 1), 17_420_000}},
			wantDays: 10, wantSpend: 17_420_000, want: ptr(day(2025, 11, 9).AddDate(0, 0, 90)), beforeEnd: true,
		},
		{
			name: "spend before the window does not set the rate", now: day(2026, 12, 1),
			cs:       []Commitment{{day(2026, 1, 1), 100_000_000}},
			wantDays: 90,
		},
		{
			name: "already over its value", now: day(2027, 1, 5),
			cs:       []Commitment{{day(2026, 1, 1), 100_000_000}, {day(2027, 1, 2), 80_000_000}},
			wantDays: 90, wantSpend: 80_000_000, want: ptr(day(2027, 1, 5)), beforeEnd: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The clock's time of day must not matter.
			f := RunOut(harrowValue, harrowStart, harrowEnd, tt.cs, tt.now.Add(17*time.Hour+3*time.Minute))
			if f.WindowDays != tt.wantDays || f.WindowSpend != tt.wantSpend {
				t.Errorf("got window %d days, %d pence, want %d days, %d pence", f.WindowDays, f.WindowSpend, tt.wantDays, tt.wantSpend)
			}
			switch {
			case (f.RunOut == nil) != (tt.want == nil):
				t.Errorf("got run-out %v, want %v", f.RunOut, tt.want)
			case f.RunOut != nil && !f.RunOut.Equal(*tt.want):
				t.Errorf("got run-out %s, want %s", f.RunOut.Format(time.DateOnly), tt.want.Format(time.DateOnly))
			}
			if f.BeforeEnd != tt.beforeEnd {
				t.Errorf("got before the end %v, want %v", f.BeforeEnd, tt.beforeEnd)
			}
			var sum int64
			for _, c := range tt.cs {
				sum += c.Amount
			}
			if f.Committed != sum || f.Remaining != harrowValue-sum {
				t.Errorf("got committed %d remaining %d, want %d and %d", f.Committed, f.Remaining, sum, harrowValue-sum)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	// A position in the middle of year one, with room for £10,000 in the
	// department's budget, £50,000 in the ad hoc allowance and £100,000
	// in the contract.
	base := Position{
		Department: "Housing", Year: 2025, HasBudget: true, Budget: 5_000_000, DeptCommitted: 4_000_000,
		Contract: "VSS-2025", Value: harrowValue, ContractCommitted: harrowValue - 10_000_000, Starts: harrowStart, Ends: harrowEnd,
		Funding: AdHoc, ContractYear: 1, HasAllowance: true, Allowance: 10_000_000, AllowanceCommitted: 5_000_000,
		Day: day(2026, 2, 1),
	}
	with := func(f func(p *Position)) Position { p := base; f(&p); return p }
	tests := []struct {
		name   string
		p      Position
		amount int64
		want   []string // codes, in order
		says   string   // in the first message
	}{
		{name: "fits exactly", p: base, amount: 1_000_000},
		{name: "one penny over the budget", p: base, amount: 1_000_001, want: []string{OverBudget}, says: "Housing's 2025/26 budget would be committed to £50,000.01 of £50,000.00, £0.01 over"},
		{name: "no amount yet", p: base, amount: 0},
		{name: "no budget set", p: with(func(p *Position) { p.HasBudget = false }), amount: 1, want: []string{NoBudget}, says: "Housing has no budget for 2025/26"},
		{name: "over the ad hoc allowance", p: with(func(p *Position) { p.Budget = 1 << 40 }), amount: 5_000_001, want: []string{OverAllowance},
			says: "ad hoc works allowance for contract year 1"},
		{name: "over everything", p: base, amount: 20_000_000, want: []string{OverContract, OverAllowance, OverBudget}, says: "£1,842,000.00 of its £1,742,000.00 value"},
		{name: "no allowance for the funding", p: with(func(p *Position) { p.HasAllowance = false; p.Budget = 1 << 40 }), amount: 6_000_000},
		{name: "after the term", p: with(func(p *Position) { p.Day = day(2027, 8, 2) }), amount: 1, want: []string{OutsideTerm}, says: "runs from 2025-10-31 to 2027-08-01"},
		{name: "on the last day", p: with(func(p *Position) { p.Day = day(2027, 8, 1).Add(23 * time.Hour) }), amount: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := Check(tt.p, tt.amount)
			var got []string
			for _, w := range ws {
				got = append(got, w.Code)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("got %v, want %v (%v)", got, tt.want, ws)
			}
			if tt.says != "" && !strings.Contains(ws[0].Message, tt.says) {
				t.Errorf("got %q, want it to say %q", ws[0].Message, tt.says)
			}
		})
	}
}

func TestYearsAndMoney(t *testing.T) {
	for _, tt := range []struct {
		at      time.Time
		fy, cy  int
		fyLabel string
	}{
		{day(2025, 10, 31), 2025, 1, "2025/26"},
		{day(2026, 3, 31), 2025, 1, "2025/26"},
		{day(2026, 4, 1), 2026, 1, "2026/27"},
		{day(2026, 10, 30), 2026, 1, "2026/27"},
		{day(2026, 10, 31), 2026, 2, "2026/27"},
		{day(2027, 8, 1), 2027, 2, "2027/28"},
		{day(2025, 10, 30), 2025, 0, "2025/26"},
	} {
		t.Run(tt.at.Format(time.DateOnly), func(t *testing.T) {
			if got := period.YearOf(tt.at); got != tt.fy || period.YearLabel(got) != tt.fyLabel {
				t.Errorf("financial year: got %d (%s), want %d (%s)", got, period.YearLabel(got), tt.fy, tt.fyLabel)
			}
			if got := ContractYear(harrowStart, tt.at); got != tt.cy {
				t.Errorf("contract year: got %d, want %d", got, tt.cy)
			}
		})
	}
	if got := ContractYears(harrowStart, harrowEnd); got != 2 {
		t.Errorf("the Harrow term spans %d contract years, want 2", got)
	}
	for in, want := range map[string]int64{"1742000": 174_200_000, "£1,742,000.00": 174_200_000, "12.5": 1250, "0.07": 7, "-3.10": -310} {
		if got, err := money.Parse(in); err != nil || got != want {
			t.Errorf("money.Parse(%q): got %d, %v, want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "1.234", "12a", "1.", "£", "1e6", "99999999999999"} {
		if got, err := money.Parse(bad); err == nil {
			t.Errorf("money.Parse(%q): got %d, want an error", bad, got)
		}
	}
	if got := money.Pounds(174_200_001); got != "£1,742,000.01" {
		t.Errorf("Pounds: got %s, want £1,742,000.01", got)
	}
	if got := money.Pounds(-5); got != "-£0.05" {
		t.Errorf("money.Pounds(-5): got %s, want -£0.05", got)
	}
}
