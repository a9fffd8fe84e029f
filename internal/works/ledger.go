package works

import (
	"fmt"
	"time"

	"github.com/vigil-cctv/vigil/internal/money"
)

// Spend is what the figures need of a works order.
type Spend struct {
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

// add counts o in t (sign 1) or takes it out (-1), refusing a sum that
// does not fit in int64 pence: wrapped, an overspent budget would look
// like money in hand and its warnings would not be raised.
func (t *Totals) add(o Spend, sign int64) error {
	spent, err := money.Mul(sign, Spent(o.State, o.Final))
	if err != nil {
		return err
	}
	committed, err := money.Mul(sign, Committed(o.State, o.Approved, o.Final))
	if err != nil {
		return err
	}
	if spent, err = money.Add(t.Spent, spent); err != nil {
		return err
	}
	if committed, err = money.Add(t.Committed, committed); err != nil {
		return err
	}
	t.Spent, t.Committed = spent, committed
	return nil
}

type deptYear struct {
	dept int64
	year int
}

type allowanceKey struct {
	contract int64
	year     int
	funding  string
}

// Ledger adds up orders once, so that the warnings of every order still
// to be decided cost a few map lookups each rather than a pass over all
// orders.
type Ledger struct {
	byID        map[int64]Spend
	contract    map[int64]Totals
	dept        map[deptYear]Totals
	allowance   map[allowanceKey]Totals
	commitments map[int64][]Commitment
}

// NewLedger adds up orders; amounts whose sums do not fit in int64 pence
// are money.ErrOverflow.
func NewLedger(orders []Spend) (*Ledger, error) {
	l := &Ledger{byID: map[int64]Spend{}, contract: map[int64]Totals{}, dept: map[deptYear]Totals{},
		allowance: map[allowanceKey]Totals{}, commitments: map[int64][]Commitment{}}
	for _, o := range orders {
		l.byID[o.ID] = o
		if err := l.apply(o, 1); err != nil {
			return nil, fmt.Errorf("works order %d: %w", o.ID, err)
		}
		if c := Committed(o.State, o.Approved, o.Final); c != 0 {
			l.commitments[o.Contract] = append(l.commitments[o.Contract], Commitment{Day: o.ApprovedAt, Amount: c})
		}
	}
	return l, nil
}

func (l *Ledger) apply(o Spend, sign int64) error {
	c, d, a := l.contract[o.Contract], l.dept[deptYear{o.Department, o.BudgetYear}], l.allowance[allowanceKey{o.Contract, o.ContractYear, o.Funding}]
	for _, t := range []*Totals{&c, &d, &a} {
		if err := t.add(o, sign); err != nil {
			return err
		}
	}
	l.contract[o.Contract], l.dept[deptYear{o.Department, o.BudgetYear}], l.allowance[allowanceKey{o.Contract, o.ContractYear, o.Funding}] = c, d, a
	return nil
}

// without is t less order except's part, if except is one of the orders
// match says t counts.
func (l *Ledger) without(t Totals, except int64, match func(Spend) bool) Totals {
	if o, ok := l.byID[except]; ok && match(o) {
		// o was added into t when the ledger was built, so taking it
		// out again cannot overflow.
		t.add(o, -1)
	}
	return t
}

// Contract totals a contract's orders, leaving out order except (0: none).
func (l *Ledger) Contract(id, except int64) Totals {
	return l.without(l.contract[id], except, func(o Spend) bool { return o.Contract == id })
}

// Department totals a department's orders counted against its budget for
// financial year year, leaving out order except.
func (l *Ledger) Department(id int64, year int, except int64) Totals {
	return l.without(l.dept[deptYear{id, year}], except, func(o Spend) bool { return o.Department == id && o.BudgetYear == year })
}

// Allowance totals a contract's orders of one funding in one contract
// year, leaving out order except.
func (l *Ledger) Allowance(contract int64, year int, funding string, except int64) Totals {
	return l.without(l.allowance[allowanceKey{contract, year, funding}], except, func(o Spend) bool {
		return o.Contract == contract && o.ContractYear == year && o.Funding == funding
	})
}

// Commitments are a contract's committed amounts dated by approval, for
// RunOut.
func (l *Ledger) Commitments(contract int64) []Commitment { return l.commitments[contract] }
