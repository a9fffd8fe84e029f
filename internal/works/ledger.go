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

func (t *Totals) add(o Order, sign int64) {
	t.Spent += sign * Spent(o.State, o.Final)
	t.Committed += sign * Committed(o.State, o.Approved, o.Final)
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
	byID        map[int64]Order
	contract    map[int64]Totals
	dept        map[deptYear]Totals
	allowance   map[allowanceKey]Totals
	commitments map[int64][]Commitment
}

// NewLedger adds up orders.
func NewLedger(orders []Order) *Ledger {
	l := &Ledger{byID: map[int64]Order{}, contract: map[int64]Totals{}, dept: map[deptYear]Totals{},
		allowance: map[allowanceKey]Totals{}, commitments: map[int64][]Commitment{}}
	for _, o := range orders {
		l.byID[o.ID] = o
		l.apply(o, 1)
		if c := Committed(o.State, o.Approved, o.Final); c != 0 {
			l.commitments[o.Contract] = append(l.commitments[o.Contract], Commitment{Day: o.ApprovedAt, Amount: c})
		}
	}
	return l
}

func (l *Ledger) apply(o Order, sign int64) {
	t := l.contract[o.Contract]
	t.add(o, sign)
	l.contract[o.Contract] = t
	k := deptYear{o.Department, o.BudgetYear}
	t = l.dept[k]
	t.add(o, sign)
	l.dept[k] = t
	a := allowanceKey{o.Contract, o.ContractYear, o.Funding}
	t = l.allowance[a]
	t.add(o, sign)
	l.allowance[a] = t
}

// without is t less order except's part, if except is one of the orders
// match says t counts.
func (l *Ledger) without(t Totals, except int64, match func(Order) bool) Totals {
	if o, ok := l.byID[except]; ok && match(o) {
		t.add(o, -1)
	}
	return t
}

// Contract totals a contract's orders, leaving out order except (0: none).
func (l *Ledger) Contract(id, except int64) Totals {
	return l.without(l.contract[id], except, func(o Order) bool { return o.Contract == id })
}

// Department totals a department's orders counted against its budget for
// financial year year, leaving out order except.
func (l *Ledger) Department(id int64, year int, except int64) Totals {
	return l.without(l.dept[deptYear{id, year}], except, func(o Order) bool { return o.Department == id && o.BudgetYear == year })
}

// Allowance totals a contract's orders of one funding in one contract
// year, leaving out order except.
func (l *Ledger) Allowance(contract int64, year int, funding string, except int64) Totals {
	return l.without(l.allowance[allowanceKey{contract, year, funding}], except, func(o Order) bool {
		return o.Contract == contract && o.ContractYear == year && o.Funding == funding
	})
}

// Commitments are a contract's committed amounts dated by approval, for
// RunOut.
func (l *Ledger) Commitments(contract int64) []Commitment { return l.commitments[contract] }
