package works

import (
	"errors"
	"math"
	"testing"

	"github.com/vigil-cctv/vigil/internal/money"
)

// TestLedgerRefusesWhatDoesNotFit: orders whose committed amounts add up
// past MaxInt64 are money.ErrOverflow, not a negative total that would
// look like money in hand; Check warns of an amount past everything
// rather than wrapping; RunOut of a huge remaining value stays sane.
func TestLedgerRefusesWhatDoesNotFit(t *testing.T) {
	half := int64(math.MaxInt64/2 + 1)
	_, err := NewLedger([]Spend{
		{ID: 1, Contract: 7, Department: 3, Funding: AdHoc, State: Approved, Approved: half},
		{ID: 2, Contract: 7, Department: 3, Funding: AdHoc, State: Approved, Approved: half},
	})
	if !errors.Is(err, money.ErrOverflow) {
		t.Errorf("two orders of half MaxInt64: got %v, want money.ErrOverflow", err)
	}
	ws := Check(Position{Department: "Housing", HasBudget: true, Budget: 100, DeptCommitted: half, Value: 100, ContractCommitted: half,
		Starts: day(2025, 1, 1), Ends: day(2027, 1, 1), Day: day(2026, 1, 1)}, half)
	if len(ws) != 2 || ws[0].Code != OverContract || ws[1].Code != OverBudget {
		t.Errorf("an amount whose sum does not fit: got %+v, want over_contract and over_budget", ws)
	}
	now := day(2026, 1, 1)
	f := RunOut(math.MaxInt64, day(2025, 1, 1), day(2027, 1, 1), []Commitment{{Day: now, Amount: 1}}, now)
	if f.RunOut == nil || !f.RunOut.After(day(4000, 1, 1)) || f.BeforeEnd {
		t.Errorf("a value of MaxInt64 spent a penny a quarter: got %+v, want a run-out far beyond the term", f)
	}
}
