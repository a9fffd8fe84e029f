package trading

import (
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-cctv/vigil/internal/problem"
)

// The trading company's data: its settings, its customers' subscriptions
// (camera units at a service level and a price), one-off charges and the
// invoices and credit notes issued for them. Customers are organisations
// of kind customer; nothing here copies them.

// Service levels a subscription may buy.
const (
	ServiceMonitored   = "monitored"   // watched in the control room and recorded
	ServiceRecorded    = "recorded"    // recorded only, reviewed on request
	ServiceMaintenance = "maintenance" // maintenance only
)

// Services lists the service levels, in the order tables show them.
var Services = []string{ServiceMonitored, ServiceRecorded, ServiceMaintenance}

// Bounds on what a person may enter, so that no sum of pence can overflow:
// units × price × 31 days stays far below 2^63.
const (
	MaxUnits     = 100_000
	MaxUnitPrice = 100_000_000   // pence per unit per month: £1m
	MaxCharge    = 1_000_000_000 // pence: £10m either way
	MaxText      = 500
)

// Customer is an organisation as the trading company knows it: a
// customer if Kind is rights.KindCustomer, otherwise something it does
// not bill.
type Customer struct {
	ID   int64
	Name string
	Kind string
	// Address is where its invoices are addressed (lines separated by
	// newlines); empty until the trading company records one.
	Address string
}

// MaxAddress bounds an address, the trading company's or a customer's.
const MaxAddress = MaxText

// CheckAddress tidies an address (each line trimmed, blank lines
// dropped) and refuses one too long (problem.ErrInvalid).
func CheckAddress(a string) (string, error) {
	var lines []string
	for l := range strings.Lines(a) {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	a = strings.Join(lines, "\n")
	if utf8.RuneCountInString(a) > MaxAddress {
		return a, problem.Invalidf("an address must be at most %d characters", MaxAddress)
	}
	return a, nil
}

// Settings is what every invoice is issued under.
type Settings struct {
	Company   string // the trading company's name, printed on invoices
	Address   string
	VATNumber string
	// VATBasisPoints is the VAT rate in hundredths of a percent: 2000 is
	// the UK standard rate of 20%.
	VATBasisPoints int64
	InvoicePrefix  string // "INV-": an invoice's reference is the prefix and its number
	NextInvoice    int64  // the number the next invoice or credit note takes
	PaymentDays    int64  // an invoice is due this many days after it is issued
	UpdatedAt      time.Time
}

// CheckSettings tidies t and refuses values out of bounds (problem.ErrInvalid).
func CheckSettings(t *Settings) error {
	t.Company, t.VATNumber = strings.TrimSpace(t.Company), strings.TrimSpace(t.VATNumber)
	var err error
	if t.Address, err = CheckAddress(t.Address); err != nil {
		return err
	}
	switch {
	case t.Company == "" || utf8.RuneCountInString(t.Company) > MaxText:
		return problem.Invalidf("the company's name must be 1 to %d characters", MaxText)
	case utf8.RuneCountInString(t.Address) > MaxText || utf8.RuneCountInString(t.VATNumber) > 40:
		return problem.Invalidf("the address or VAT number is too long")
	case t.VATBasisPoints < 0 || t.VATBasisPoints > 10000:
		return problem.Invalidf("the VAT rate must be between 0%% and 100%%")
	case utf8.RuneCountInString(t.InvoicePrefix) > 20:
		return problem.Invalidf("the invoice prefix must be at most 20 characters")
	case t.PaymentDays < 0 || t.PaymentDays > 365:
		return problem.Invalidf("payment terms must be 0 to 365 days")
	}
	return nil
}

// Units is a dated number of camera units: from From until the next
// change.
type Units struct {
	From  time.Time
	Units int64
}

// Subscription is what a customer buys: Units (dated history, oldest
// first) camera units at service level Service, at UnitPrice pence per
// unit per calendar month net of VAT, from StartsOn until EndsOn (the
// first day no longer served; nil: open-ended).
type Subscription struct {
	ID         int64
	CustomerID int64
	Reference  string
	Service    string
	UnitPrice  int64
	StartsOn   time.Time
	EndsOn     *time.Time
	Units      []Units
	CreatedAt  time.Time
}

// UnitsOn is the number of units the subscription has on day d (0 before
// its first dated count).
func (t Subscription) UnitsOn(d time.Time) int64 {
	var n int64
	for _, u := range t.Units {
		if u.From.After(d) {
			break
		}
		n = u.Units
	}
	return n
}

// Day is t's UTC date, as the trading company holds dates: midnight.
func Day(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// CheckSubscription tidies t (dates to days) and refuses values out of
// bounds (problem.ErrInvalid). Its units are checked by CheckUnits.
func CheckSubscription(t *Subscription) error {
	t.Reference = strings.TrimSpace(t.Reference)
	t.StartsOn = Day(t.StartsOn)
	if t.EndsOn != nil {
		e := Day(*t.EndsOn)
		t.EndsOn = &e
	}
	switch {
	case utf8.RuneCountInString(t.Reference) > MaxText:
		return problem.Invalidf("a reference must be at most %d characters", MaxText)
	case !slices.Contains(Services, t.Service):
		return problem.Invalidf("service %q is not one of %s", t.Service, strings.Join(Services, ", "))
	case t.UnitPrice < 0 || t.UnitPrice > MaxUnitPrice:
		return problem.Invalidf("the price per unit per month must be 0 to %d pence", MaxUnitPrice)
	case t.StartsOn.Year() < 2000 || t.StartsOn.Year() > 2200:
		return problem.Invalidf("give the day the service starts")
	case t.EndsOn != nil && !t.EndsOn.After(t.StartsOn):
		return problem.Invalidf("the service must end after it starts")
	}
	return nil
}

// CheckNewSubscription is CheckSubscription and CheckUnits for a
// subscription to be filed, which needs its count of units; the units
// come out oldest first.
func CheckNewSubscription(t *Subscription) error {
	if err := CheckSubscription(t); err != nil {
		return err
	}
	if len(t.Units) == 0 {
		return problem.Invalidf("give the number of camera units")
	}
	for i := range t.Units {
		if err := CheckUnits(&t.Units[i]); err != nil {
			return err
		}
	}
	slices.SortFunc(t.Units, func(a, b Units) int { return a.From.Compare(b.From) })
	return nil
}

// CheckUnits tidies u and refuses values out of bounds (problem.ErrInvalid).
func CheckUnits(u *Units) error {
	u.From = Day(u.From)
	switch {
	case u.Units < 0 || u.Units > MaxUnits:
		return problem.Invalidf("camera units must be 0 to %d", MaxUnits)
	case u.From.Year() < 2000 || u.From.Year() > 2200:
		return problem.Invalidf("give the day the number of units changes")
	}
	return nil
}

// Charge is a one-off charge to a customer, such as mileage, net of VAT:
// billed on the first invoice issued to the customer for a period ending
// after On. InvoiceID is that invoice (0: not yet billed).
type Charge struct {
	ID          int64
	CustomerID  int64
	On          time.Time
	Description string
	Amount      int64
	InvoiceID   int64
	CreatedAt   time.Time
}

// CheckCharge tidies c and refuses values out of bounds (problem.ErrInvalid).
// A negative amount is an allowance, billed as a deduction.
func CheckCharge(c *Charge) error {
	c.Description = strings.TrimSpace(c.Description)
	c.On = Day(c.On)
	switch {
	case c.Description == "" || utf8.RuneCountInString(c.Description) > MaxText:
		return problem.Invalidf("describe the charge in 1 to %d characters", MaxText)
	case c.Amount == 0 || c.Amount > MaxCharge || c.Amount < -MaxCharge:
		return problem.Invalidf("a charge must be non-zero and at most %d pence either way", MaxCharge)
	case c.On.Year() < 2000 || c.On.Year() > 2200:
		return problem.Invalidf("give the day of the charge")
	}
	return nil
}

// Invoice kinds.
const (
	KindInvoice = "invoice"
	KindCredit  = "credit" // a credit note, cancelling one invoice
)

// Invoice is an invoice or credit note of the trading company, as issued:
// it is written once and never changed. A credit note cancels an invoice
// whole, with every amount negated; the period may then be invoiced
// again.
type Invoice struct {
	ID           int64
	Number       int64  // in one sequence with credit notes, without gaps
	Reference    string // the settings' prefix and the number, as printed
	Kind         string
	CreditsID    int64 // a credit note: the invoice it cancels
	CreditedBy   int64 // an invoice: the credit note that cancelled it (0: none); read, not stored
	CustomerID   int64
	CustomerName string // as it was when issued
	// CustomerAddress and the seller's name, address and VAT
	// registration number are as they were when it was issued, printed
	// on it and never changed.
	CustomerAddress string
	SellerName      string
	SellerAddress   string
	SellerVATNumber string
	PeriodFrom      time.Time
	PeriodTo        time.Time // the period is [PeriodFrom, PeriodTo)
	IssuedAt        time.Time
	DueOn           time.Time
	IssuedBy        int64 // the user who issued it
	// VATBasisPoints is the VAT rate it was issued at (2000: 20%).
	VATBasisPoints  int64
	Net, VAT, Gross int64 // pence; negative on a credit note
	Note            string
	Lines           []Line
}

// Line is one line of an invoice: a subscription's units for days of one
// calendar month, or a one-off charge (ChargeID set).
type Line struct {
	Seq            int
	Description    string
	SubscriptionID int64
	ChargeID       int64
	Service        string // the service level; "charge" for a one-off charge
	ServiceFrom    time.Time
	ServiceTo      time.Time // [ServiceFrom, ServiceTo)
	Units          int64
	UnitPrice      int64 // pence per unit per month
	Days           int64 // days served of MonthDays
	MonthDays      int64
	Net            int64 // pence
}

// CheckIssue tidies an invoice to be issued and refuses one whose period
// or note is wrong (problem.ErrInvalid).
func CheckIssue(inv *Invoice) error {
	inv.PeriodFrom, inv.PeriodTo = Day(inv.PeriodFrom), Day(inv.PeriodTo)
	if !inv.PeriodTo.After(inv.PeriodFrom) {
		return problem.Invalidf("an invoice's period must end after it starts")
	}
	inv.Note = strings.TrimSpace(inv.Note)
	if utf8.RuneCountInString(inv.Note) > MaxText {
		return problem.Invalidf("a note must be at most %d characters", MaxText)
	}
	return nil
}

// CreditNote is the credit note cancelling orig whole, dated at by user
// by, for the reason note: every line and amount negated. It has no
// number; the repository gives it one. A credit note cannot be credited,
// and the reason must be given (problem.ErrInvalid).
func CreditNote(orig Invoice, note string, at time.Time, by int64) (Invoice, error) {
	note = strings.TrimSpace(note)
	switch {
	case orig.Kind != KindInvoice:
		return orig, problem.Invalidf("%s is a credit note: only an invoice can be credited", orig.Reference)
	case note == "" || utf8.RuneCountInString(note) > MaxText:
		return orig, problem.Invalidf("say why the invoice is credited, in 1 to %d characters", MaxText)
	}
	cn := orig
	cn.Kind, cn.CreditsID, cn.CreditedBy, cn.IssuedAt, cn.IssuedBy, cn.Note = KindCredit, orig.ID, 0, at, by, note
	cn.Net, cn.VAT, cn.Gross = -orig.Net, -orig.VAT, -orig.Gross
	cn.Lines = make([]Line, len(orig.Lines))
	for i, l := range orig.Lines {
		l.Net = -l.Net
		cn.Lines[i] = l
	}
	return cn, nil
}

// InvoiceFilter selects invoices: of one customer (0: any), whose period
// starts in [From, To) (zero: unbounded).
type InvoiceFilter struct {
	CustomerID int64
	From, To   time.Time
}

// ErrInvoiced is returned, wrapped, when an invoice for exactly the asked
// customer and period was issued before; the existing one comes with it.
var ErrInvoiced = errors.New("trading: already invoiced")

// Overlaps is the refusal of an invoice whose period overlaps invoice ref,
// issued before for [from, to), without matching it.
func Overlaps(ref string, from, to time.Time) error {
	return problem.Invalidf("invoice %s already bills %s to %s, which overlaps this period: credit it first to invoice a different period",
		ref, from.Format(time.DateOnly), to.AddDate(0, 0, -1).Format(time.DateOnly))
}
