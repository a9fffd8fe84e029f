package works

import "testing"

func TestLedger(t *testing.T) {
	approved := day(2026, 1, 10)
	l, err := NewLedger([]Spend{
		{ID: 1, Contract: 7, Department: 3, Funding: AdHoc, State: Completed, BudgetYear: 2025, ContractYear: 1, Approved: 4_500, Final: 4_800, ApprovedAt: approved},
		{ID: 2, Contract: 7, Department: 3, Funding: AdHoc, State: Approved, BudgetYear: 2025, ContractYear: 1, Approved: 1_000, ApprovedAt: approved},
		{ID: 3, Contract: 7, Department: 4, Funding: Planned, State: Approved, BudgetYear: 2026, ContractYear: 1, Approved: 9_000, ApprovedAt: approved},
		{ID: 4, Contract: 7, Department: 3, Funding: AdHoc, State: Quoted, BudgetYear: 2025, ContractYear: 1, Approved: 0},
		{ID: 5, Contract: 7, Department: 3, Funding: AdHoc, State: Cancelled, BudgetYear: 2025, ContractYear: 1, Approved: 2_000, ApprovedAt: approved},
		{ID: 6, Contract: 8, Department: 3, Funding: AdHoc, State: Approved, BudgetYear: 2025, ContractYear: 2, Approved: 300, ApprovedAt: approved},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		got  Totals
		want Totals
	}{
		{"contract 7", l.Contract(7, 0), Totals{Spent: 4_800, Committed: 14_800}},
		{"contract 7 without order 2", l.Contract(7, 2), Totals{Spent: 4_800, Committed: 13_800}},
		{"contract 7 without another contract's order", l.Contract(7, 6), Totals{Spent: 4_800, Committed: 14_800}},
		{"department 3 in 2025", l.Department(3, 2025, 0), Totals{Spent: 4_800, Committed: 6_100}},
		{"department 3 in 2025 without order 1", l.Department(3, 2025, 1), Totals{Committed: 1_300}},
		{"department 4 in 2025", l.Department(4, 2025, 0), Totals{}},
		{"contract 7 year 1 ad hoc", l.Allowance(7, 1, AdHoc, 0), Totals{Spent: 4_800, Committed: 5_800}},
		{"contract 7 year 1 planned without order 3", l.Allowance(7, 1, Planned, 3), Totals{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %+v, want %+v", tt.got, tt.want)
			}
		})
	}
	if cs := l.Commitments(7); len(cs) != 3 || cs[0].Amount != 4_800 || !cs[0].Day.Equal(approved) {
		t.Errorf("contract 7's commitments: got %+v, want 4800, 1000 and 9000 dated by approval", cs)
	}
}
