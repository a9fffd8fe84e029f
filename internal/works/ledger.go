package works

import "time"

// Order is what the figures need of a works order.
type Order struct {
	ID, Contract, Department int64
	Funding, State           string
	BudgetYear, ContractYear int
	Approved, Final          int64
	ApprovedAt               time.Time // zero until approved
}

// Totals are what a set of orders has spent (completed, at final cost)
// and committed (spent, plus approved and not completed at the approved
// amount).
type Totals struct {
	Spent, Committed int64
}

func (t *Totals) add(o Order) {
	t.Spent += Spent(o.State, o.Final)
	t.Committed += Committed(o.State, o.Approved, o.Final)
}

// Ledger adds up orders. A council raises tens of orders a year, so it
// simply scans them.
type Ledger []Order

// Contract totals a contract's orders, leaving out order except (0: none).
func (l Ledger) Contract(id, except int64) Totals {
	var t Totals
	for _, o := range l {
		if o.Contract == id && o.ID != except {
			t.add(o)
		}
	}
	return t
}

// Department totals a department's orders counted against its budget for
// financial year year, leaving out order except.
func (l Ledger) Department(id int64, year int, except int64) Totals {
	var t Totals
	for _, o := range l {
		if o.Department == id && o.BudgetYear == year && o.ID != except {
			t.add(o)
		}
	}
	return t
}

// Allowance totals a contract's orders of one funding in one contract
// year, leaving out order except.
func (l Ledger) Allowance(contract int64, year int, funding string, except int64) Totals {
	var t Totals
	for _, o := range l {
		if o.Contract == contract && o.ContractYear == year && o.Funding == funding && o.ID != except {
			t.add(o)
		}
	}
	return t
}

// Commitments are a contract's committed amounts dated by approval, for
// RunOut.
func (l Ledger) Commitments(contract int64) []Commitment {
	var out []Commitment
	for _, o := range l {
		if c := Committed(o.State, o.Approved, o.Final); o.Contract == contract && c != 0 {
			out = append(out, Commitment{Day: o.ApprovedAt, Amount: c})
		}
	}
	return out
}
