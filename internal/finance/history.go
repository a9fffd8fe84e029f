package finance

import (
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Weight is a category's weight in the recharge, in parts per million
// (1000000 counts a camera once): exact, unlike a float, so shares come
// out the same everywhere.
type Weight int64

// One is the weight of a camera counted once.
const One Weight = 1_000_000

// ParseWeight reads a decimal weight such as "1", "0.5" or "0.333333":
// digits, and at most one point followed by one to six digits. Anything
// else is refused rather than read as something near it: more than six
// decimal places, a sign (a negative weight would take cameras away from
// a partner's count; "-0.5" was once read as 0.5), exponents, spaces or
// separators inside. Zero is a weight: a category of cameras the
// partnership keeps but does not recharge for (its own test cameras, a
// police force's) counts for no one, as a trading company customer's
// cameras do.
func ParseWeight(s string) (Weight, error) {
	s = strings.TrimSpace(s)
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" && dot {
		whole = "0"
	}
	if !digits(whole) || dot && !digits(frac) {
		return 0, fmt.Errorf("weight %q: want a number from 0 to 1000, such as 1 or 0.5", s)
	}
	if len(frac) > 6 {
		return 0, fmt.Errorf("weight %q: at most six decimal places", s)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	f := int64(0)
	if frac != "" {
		f, _ = strconv.ParseInt(frac+strings.Repeat("0", 6-len(frac)), 10, 64)
	}
	if err != nil || w > 1000 || w == 1000 && f > 0 {
		return 0, fmt.Errorf("weight %q: want a number from 0 to 1000, such as 1 or 0.5", s)
	}
	return Weight(w*1_000_000 + f), nil
}

// digits says whether s is one or more of the ASCII digits 0-9.
func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String writes the weight in decimal, without trailing zeros.
func (w Weight) String() string {
	s := fmt.Sprintf("%d.%06d", w/1_000_000, w%1_000_000)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// Category is a monitoring category: proactive cameras are watched by the
// control room, static reactive ones only searched after an incident, and
// a partnership may add others. Its weight is how much one of its cameras
// counts in the recharge.
type Category struct {
	Name   string `json:"name"`
	Title  string `json:"title"`
	Weight Weight `json:"weight_ppm"`
}

// The default categories, which the schema starts with.
const (
	Proactive = "proactive"
	Reactive  = "reactive"
)

// EventKind is what happened to a camera on a day.
type EventKind string

// The kinds of camera history.
const (
	Installed      EventKind = "installed"      // starts counting, with a category and owner
	Recategorised  EventKind = "recategorised"  // counts at another weight from this day
	OwnerChanged   EventKind = "owner_changed"  // counts for another organisation from this day
	Decommissioned EventKind = "decommissioned" // stops counting from this day
)

// ParseEventKind checks a kind named in an API call or a CSV file.
func ParseEventKind(s string) (EventKind, bool) {
	switch k := EventKind(strings.TrimSpace(strings.ToLower(s))); k {
	case Installed, Recategorised, OwnerChanged, Decommissioned:
		return k, true
	}
	return "", false
}

// Event is one dated change in a camera's history. Category is set for
// installed and recategorised, Org for installed and owner_changed. An
// event takes effect from the start of its day.
type Event struct {
	ID       int64     `json:"id"`
	Camera   int64     `json:"camera_id"`
	Day      time.Time `json:"day"`
	Kind     EventKind `json:"kind"`
	Category string    `json:"category,omitempty"`
	Org      int64     `json:"organisation_id,omitempty"`
	Note     string    `json:"note,omitempty"`
}

// Validate checks an event on its own, in words for whoever entered it.
func (e Event) Validate() error {
	switch e.Kind {
	case Installed:
		if e.Category == "" || e.Org == 0 {
			return errors.New("an installation needs a category and an owner")
		}
	case Recategorised:
		if e.Category == "" {
			return errors.New("a recategorisation needs the new category")
		}
	case OwnerChanged:
		if e.Org == 0 {
			return errors.New("a change of owner needs the new owner")
		}
	case Decommissioned:
	default:
		return fmt.Errorf("event kind %q is not installed, recategorised, owner_changed or decommissioned", e.Kind)
	}
	if e.Day.IsZero() {
		return errors.New("an event needs its date")
	}
	return nil
}

// SortEvents puts events in the order CameraDays needs: by camera, then
// day, then id (the order they were entered on the same day).
func SortEvents(es []Event) {
	slices.SortFunc(es, func(a, b Event) int {
		if a.Camera != b.Camera {
			return cmpInt(a.Camera, b.Camera)
		}
		if c := a.Day.Compare(b.Day); c != 0 {
			return c
		}
		return cmpInt(a.ID, b.ID)
	})
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// CameraDays is each partner's weighted camera-days over period p: for
// every day of p, every camera counting then, its category's weight (in
// parts per million) for the partner its owner belongs to. Dividing by
// p.Days() and One gives the time-weighted average camera number. events
// must be sorted by SortEvents. partnerOf maps an owner to the partner it
// counts for (a council's department counts for the council), and
// returns 0 for an owner outside the recharge (a trading company
// customer, the police), whose cameras are left out.
func CameraDays(events []Event, weights map[string]Weight, partnerOf func(org int64) int64, p Period) (map[int64]int64, error) {
	from, to := dayNumber(p.From()), dayNumber(p.To())
	out := map[int64]int64{}
	type state struct {
		active bool
		org    int64
		weight Weight
		since  int64
	}
	var cur state
	var cam int64
	// flush credits the state in force from cur.since until day end.
	flush := func(end int64) {
		if !cur.active {
			return
		}
		a, b := max(cur.since, from), min(end, to)
		if b <= a {
			return
		}
		if partner := partnerOf(cur.org); partner != 0 {
			out[partner] += int64(cur.weight) * (b - a)
		}
	}
	for i, e := range events {
		if i == 0 || e.Camera != cam {
			if i > 0 {
				flush(to)
			}
			cam, cur = e.Camera, state{}
		}
		day := dayNumber(e.Day)
		if day >= to {
			continue // later events of this camera change nothing in p
		}
		flush(day)
		cur.since = day
		switch e.Kind {
		case Installed:
			w, ok := weights[e.Category]
			if !ok {
				return nil, fmt.Errorf("camera %d: no category %q", e.Camera, e.Category)
			}
			cur.active, cur.org, cur.weight = true, e.Org, w
		case Recategorised:
			w, ok := weights[e.Category]
			if !ok {
				return nil, fmt.Errorf("camera %d: no category %q", e.Camera, e.Category)
			}
			cur.weight = w
		case OwnerChanged:
			cur.org = e.Org
		case Decommissioned:
			cur.active = false
		}
	}
	if len(events) > 0 {
		flush(to)
	}
	return out, nil
}

// Ratio is an exact fraction, for camera numbers and shares shown to
// people; all the arithmetic behind them is on its integer parts.
type Ratio struct {
	Num, Den int64
}

// Round is the ratio to the nearest whole number, halves away from zero.
func (r Ratio) Round() int64 { return r.Fixed(0) }

// Fixed is the ratio scaled by 10^places and rounded half away from zero.
func (r Ratio) Fixed(places int) int64 {
	if r.Den == 0 {
		return 0
	}
	n := new(big.Int).Mul(big.NewInt(r.Num), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil))
	n.Mul(n, big.NewInt(2))
	n.Add(n, big.NewInt(r.Den*sign(r.Num)))
	n.Quo(n, big.NewInt(2*r.Den))
	return n.Int64()
}

// Decimal writes the ratio rounded to places decimal places.
func (r Ratio) Decimal(places int) string {
	v := r.Fixed(places)
	if places == 0 {
		return strconv.FormatInt(v, 10)
	}
	neg := ""
	if v < 0 {
		neg, v = "-", -v
	}
	p := int64(1)
	for range places {
		p *= 10
	}
	return fmt.Sprintf("%s%d.%0*d", neg, v/p, places, v%p)
}

func sign(v int64) int64 {
	if v < 0 {
		return -1
	}
	return 1
}
