package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/maintenance"
)

// EnsureContractor returns the contractor called name, making it if there
// is none.
func (s *Store) EnsureContractor(ctx context.Context, name, contact string) (maintenance.Contractor, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return maintenance.Contractor{}, &InvalidError{Msg: "a contractor needs a name"}
	}
	if err := checkName("a contractor's name", name); err != nil {
		return maintenance.Contractor{}, err
	}
	var c maintenance.Contractor
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var created int64
		err := tx.QueryRowContext(ctx, `SELECT id, name, contact, created_at FROM maintenance_contractors WHERE name = $1`, name).
			Scan(&c.ID, &c.Name, &c.Contact, &created)
		if err == nil {
			c.CreatedAt = fromMicros(created)
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		c = maintenance.Contractor{Name: name, Contact: contact, CreatedAt: now()}
		return tx.QueryRowContext(ctx, `INSERT INTO maintenance_contractors (name, contact, created_at) VALUES ($1, $2, $3) RETURNING id`,
			c.Name, c.Contact, micros(c.CreatedAt)).Scan(&c.ID)
	})
	return c, wrap("ensure contractor", err)
}

// Contractors lists the contractors by name.
func (s *Store) Contractors(ctx context.Context) ([]maintenance.Contractor, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, name, contact, created_at FROM maintenance_contractors ORDER BY name, id`)
	if err != nil {
		return nil, wrap("list contractors", err)
	}
	defer rows.Close()
	out := []maintenance.Contractor{}
	for rows.Next() {
		var c maintenance.Contractor
		var created int64
		if err := rows.Scan(&c.ID, &c.Name, &c.Contact, &created); err != nil {
			return nil, wrap("list contractors", err)
		}
		c.CreatedAt = fromMicros(created)
		out = append(out, c)
	}
	return out, wrap("list contractors", rows.Err())
}

const outageCols = `id, camera_id, started_at, ended_at, reason, end_reason`

func scanOutage(sc scanner) (maintenance.Outage, error) {
	var o maintenance.Outage
	var start int64
	var end sql.NullInt64
	if err := sc.Scan(&o.ID, &o.CameraID, &start, &end, &o.Reason, &o.EndReason); err != nil {
		return maintenance.Outage{}, err
	}
	o.Start, o.End = fromMicros(start), fromNullMicros(end)
	return o, nil
}

// AddOutage inserts o and sets its ID. An outage may be entered already
// ended (for migration from another system).
func (s *Store) AddOutage(ctx context.Context, o *maintenance.Outage) error {
	if o.CameraID <= 0 {
		return errors.New("store: outage has no camera")
	}
	o.Start, o.End = normal(o.Start), normalPtr(o.End)
	if o.End != nil && o.End.Before(o.Start) {
		return &InvalidError{Msg: "an outage cannot end before it starts"}
	}
	err := s.w.QueryRowContext(ctx, `INSERT INTO camera_outages (camera_id, started_at, ended_at, reason, end_reason)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, o.CameraID, micros(o.Start), nullMicros(o.End), o.Reason, o.EndReason).Scan(&o.ID)
	return wrap("add outage", err)
}

// EndOutage closes an open outage at at (not before its start).
func (s *Store) EndOutage(ctx context.Context, id int64, at time.Time, reason string) error {
	res, err := s.w.ExecContext(ctx, `UPDATE camera_outages SET ended_at = CASE WHEN started_at > $2 THEN started_at ELSE $2 END,
		end_reason = $3 WHERE id = $1 AND ended_at IS NULL`, id, micros(at), reason)
	if err != nil {
		return wrap("end outage", err)
	}
	return checkAffected(res, "open outage", id)
}

// OpenOutages lists the outages still lasting, by camera.
func (s *Store) OpenOutages(ctx context.Context) ([]maintenance.Outage, error) {
	return s.outages(ctx, `WHERE ended_at IS NULL ORDER BY camera_id, started_at, id`)
}

// Outages lists the outages overlapping [from, to) of one camera, or of
// every camera when camera is 0, by camera and start.
func (s *Store) Outages(ctx context.Context, camera int64, from, to time.Time) ([]maintenance.Outage, error) {
	q := `WHERE started_at < $2 AND (ended_at IS NULL OR ended_at > $1)`
	args := []any{micros(from), micros(to)}
	if camera != 0 {
		q += ` AND camera_id = $3`
		args = append(args, camera)
	}
	return s.outages(ctx, q+` ORDER BY camera_id, started_at, id`, args...)
}

func (s *Store) outages(ctx context.Context, where string, args ...any) ([]maintenance.Outage, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+outageCols+` FROM camera_outages `+where, args...)
	if err != nil {
		return nil, wrap("list outages", err)
	}
	defer rows.Close()
	out := []maintenance.Outage{}
	for rows.Next() {
		o, err := scanOutage(rows)
		if err != nil {
			return nil, wrap("list outages", err)
		}
		out = append(out, o)
	}
	return out, wrap("list outages", rows.Err())
}

// var _ checks that the store is maintenance's repository.
var _ maintenance.Repo = (*Store)(nil)

// CameraLife returns one camera's life, a removed camera's too.
func (s *Store) CameraLife(ctx context.Context, id int64) (maintenance.CameraLife, error) {
	c, err := scanLife(s.r.QueryRowContext(ctx, `SELECT `+lifeCols+` FROM cameras c WHERE id = $1`, id))
	if err != nil {
		return maintenance.CameraLife{}, wrap(fmt.Sprintf("camera %d", id), err)
	}
	return c, nil
}

// lifeCols are a camera's life: its installation day is the first
// "installed" event of its finance history, which is when the
// partnership counts it from.
const lifeCols = `c.id, c.organisation_id, c.name, c.enabled, c.created_at, c.deleted_at,
	(SELECT MIN(e.day) FROM camera_events e WHERE e.camera_id = c.id AND e.kind = 'installed')`

func scanLife(sc scanner) (maintenance.CameraLife, error) {
	var c maintenance.CameraLife
	var created int64
	var deleted, installed sql.NullInt64
	if err := sc.Scan(&c.ID, &c.OrganisationID, &c.Name, &c.Enabled, &created, &deleted, &installed); err != nil {
		return maintenance.CameraLife{}, err
	}
	c.Created, c.Deleted, c.Installed = fromMicros(created), fromNullMicros(deleted), fromNullMicros(installed)
	return c, nil
}

// CameraLives lists every camera ever made, removed ones included, by id.
func (s *Store) CameraLives(ctx context.Context) ([]maintenance.CameraLife, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+lifeCols+` FROM cameras c ORDER BY c.id`)
	if err != nil {
		return nil, wrap("camera lives", err)
	}
	defer rows.Close()
	out := []maintenance.CameraLife{}
	for rows.Next() {
		c, err := scanLife(rows)
		if err != nil {
			return nil, wrap("camera lives", err)
		}
		out = append(out, c)
	}
	return out, wrap("camera lives", rows.Err())
}

const faultCols = `id, camera_id, kind, priority, state, description, automatic, outage_id, contractor_id, raised_at, raised_by,
	response_due_at, fix_due_at, acknowledged_at, acknowledged_by, fixed_at, fixed_by, closed_at, closed_by, note`

func scanFault(sc scanner) (maintenance.Fault, error) {
	var f maintenance.Fault
	var outage, contractor, ack, fixed, closed sql.NullInt64
	var raised, respDue, fixDue int64
	if err := sc.Scan(&f.ID, &f.CameraID, &f.Kind, &f.Priority, &f.State, &f.Description, &f.Automatic, &outage, &contractor,
		&raised, &f.RaisedBy, &respDue, &fixDue, &ack, &f.AcknowledgedBy, &fixed, &f.FixedBy, &closed, &f.ClosedBy, &f.Note); err != nil {
		return maintenance.Fault{}, err
	}
	f.OutageID, f.ContractorID = outage.Int64, contractor.Int64
	f.RaisedAt, f.ResponseDue, f.FixDue = fromMicros(raised), fromMicros(respDue), fromMicros(fixDue)
	f.AcknowledgedAt, f.FixedAt, f.ClosedAt = fromNullMicros(ack), fromNullMicros(fixed), fromNullMicros(closed)
	return f, nil
}

// RaiseFault inserts a fault in state raised and sets its ID; RaisedAt
// zero means now.
func (s *Store) RaiseFault(ctx context.Context, f *maintenance.Fault) error {
	switch {
	case f.CameraID <= 0:
		return errors.New("store: fault has no camera")
	case !slices.Contains(maintenance.FaultKinds, f.Kind):
		return &InvalidError{Msg: fmt.Sprintf("%q is not a kind of fault; they are %s", f.Kind, strings.Join(maintenance.FaultKinds, ", "))}
	case f.Priority == "":
		return &InvalidError{Msg: "a fault needs a priority"}
	case len(f.Description) > maintenance.MaxFaultText:
		return &InvalidError{Msg: fmt.Sprintf("the description is longer than %d bytes", maintenance.MaxFaultText)}
	}
	if f.RaisedAt.IsZero() {
		f.RaisedAt = now()
	}
	f.RaisedAt, f.ResponseDue, f.FixDue = normal(f.RaisedAt), normal(f.ResponseDue), normal(f.FixDue)
	f.State, f.AcknowledgedAt, f.FixedAt, f.ClosedAt = maintenance.FaultRaised, nil, nil, nil
	f.AcknowledgedBy, f.FixedBy, f.ClosedBy = "", "", ""
	err := s.w.QueryRowContext(ctx, `INSERT INTO maintenance_faults (camera_id, kind, priority, state, description, automatic, outage_id,
		contractor_id, raised_at, raised_by, response_due_at, fix_due_at, acknowledged_by, fixed_by, closed_by, note)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, '', '', '', $13) RETURNING id`,
		f.CameraID, f.Kind, f.Priority, f.State, f.Description, f.Automatic, nullID(f.OutageID), nullID(f.ContractorID),
		micros(f.RaisedAt), f.RaisedBy, micros(f.ResponseDue), micros(f.FixDue), f.Note).Scan(&f.ID)
	return wrap("raise fault", err)
}

// Fault returns one fault.
func (s *Store) Fault(ctx context.Context, id int64) (maintenance.Fault, error) {
	f, err := scanFault(s.r.QueryRowContext(ctx, `SELECT `+faultCols+` FROM maintenance_faults WHERE id = $1`, id))
	return f, wrap(fmt.Sprintf("fault %d", id), err)
}

// ListFaults returns faults, newest first.
func (s *Store) ListFaults(ctx context.Context, f maintenance.FaultFilter) ([]maintenance.Fault, error) {
	var where []string
	args := []any{clampLimit(f.Limit)}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.CameraID != 0 {
		add("camera_id = $%d", f.CameraID)
	}
	if f.Open {
		add("state <> $%d", maintenance.FaultClosed)
	}
	if f.Unfixed {
		add("fixed_at IS NULL AND state <> $%d", maintenance.FaultClosed)
	}
	if f.Automatic {
		add("automatic = $%d", true)
	}
	if !f.RaisedFrom.IsZero() {
		add("raised_at >= $%d", micros(f.RaisedFrom))
	}
	if !f.RaisedTo.IsZero() {
		add("raised_at < $%d", micros(f.RaisedTo))
	}
	q := `SELECT ` + faultCols + ` FROM maintenance_faults`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	rows, err := s.r.QueryContext(ctx, q+` ORDER BY raised_at DESC, id DESC LIMIT $1`, args...)
	if err != nil {
		return nil, wrap("list faults", err)
	}
	defer rows.Close()
	out := []maintenance.Fault{}
	for rows.Next() {
		f, err := scanFault(rows)
		if err != nil {
			return nil, wrap("list faults", err)
		}
		out = append(out, f)
	}
	return out, wrap("list faults", rows.Err())
}

// AdvanceFault moves a fault on to state (acknowledged, fixed or closed)
// at at, by by, atomically: a fault already at or past state is refused
// with an *InvalidError, so two people recording the same step do not
// both succeed. A note, when given, replaces the fault's note.
func (s *Store) AdvanceFault(ctx context.Context, id int64, state string, at time.Time, by, note string) (maintenance.Fault, error) {
	to := slices.Index(maintenance.FaultStates, state)
	if to <= 0 {
		return maintenance.Fault{}, &InvalidError{Msg: fmt.Sprintf("%q is not a step a fault can move to; they are acknowledged, fixed and closed", state)}
	}
	if len(note) > maintenance.MaxFaultText {
		return maintenance.Fault{}, &InvalidError{Msg: fmt.Sprintf("the note is longer than %d bytes", maintenance.MaxFaultText)}
	}
	at = normal(at)
	var out maintenance.Fault
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		f, err := scanFault(tx.QueryRowContext(ctx, `SELECT `+faultCols+` FROM maintenance_faults WHERE id = $1`, id))
		if err != nil {
			return err
		}
		if slices.Index(maintenance.FaultStates, f.State) >= to {
			return &InvalidError{Msg: fmt.Sprintf("fault %d is already %s", id, f.State)}
		}
		if at.Before(f.RaisedAt) {
			return &InvalidError{Msg: "a step cannot be dated before the fault was raised"}
		}
		col := map[string]string{maintenance.FaultAcknowledged: "acknowledged", maintenance.FaultFixed: "fixed", maintenance.FaultClosed: "closed"}[state]
		if note == "" {
			note = f.Note
		}
		res, err := tx.ExecContext(ctx, `UPDATE maintenance_faults SET state = $2, `+col+`_at = $3, `+col+`_by = $4, note = $5
			WHERE id = $1 AND state = $6`, id, state, micros(at), by, note, f.State)
		if err != nil {
			return err
		}
		if err := checkAffected(res, "fault", id); err != nil {
			return &InvalidError{Msg: fmt.Sprintf("fault %d was changed meanwhile", id)}
		}
		f.State, f.Note = state, note
		switch state {
		case maintenance.FaultAcknowledged:
			f.AcknowledgedAt, f.AcknowledgedBy = &at, by
		case maintenance.FaultFixed:
			f.FixedAt, f.FixedBy = &at, by
		case maintenance.FaultClosed:
			f.ClosedAt, f.ClosedBy = &at, by
		}
		out = f
		return nil
	})
	var ie *InvalidError
	if errors.As(err, &ie) {
		return maintenance.Fault{}, err
	}
	return out, wrap(fmt.Sprintf("advance fault %d", id), err)
}

// SetFaultPriority changes a fault's priority and with it its deadlines.
func (s *Store) SetFaultPriority(ctx context.Context, id int64, priority string, responseDue, fixDue time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE maintenance_faults SET priority = $2, response_due_at = $3, fix_due_at = $4 WHERE id = $1`,
		id, priority, micros(normal(responseDue)), micros(normal(fixDue)))
	if err != nil {
		return wrap("set fault priority", err)
	}
	return checkAffected(res, "fault", id)
}
