package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/vigil-cctv/vigil/internal/finance"
)

// CameraMove is what moving a camera to another owner changed besides its
// owner: who could see it through the old owner's arrangements.
type CameraMove struct {
	From, To int64
	// Groups are the camera groups it left: those of organisations it is
	// no longer at or below.
	Groups []int64
	// Agreements are the sharing agreements that named it and whose
	// grantor it is no longer at or below.
	Agreements []int64
	// Event is the owner_changed event dated in its history.
	Event finance.Event
}

// MoveCamera makes org the owner of a live camera from day (taken as its
// UTC date) on, in one transaction: the camera's row, its leaving the
// groups and agreements of organisations it is no longer under (a group
// holds cameras of its organisation or below, an agreement shares the
// grantor's), the dated owner_changed event the recharge counts it by,
// and the period of ownership, to the microsecond, that four-eyes
// policies follow (CameraOwnersDuring). Moving a camera to its own owner
// changes nothing. by is the user who moved it.
func (s *Store) MoveCamera(ctx context.Context, id, org int64, day time.Time, by int64) (CameraMove, error) {
	mv := CameraMove{To: org, Groups: []int64{}, Agreements: []int64{}}
	err := s.rightsTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT organisation_id FROM cameras WHERE id = $1 AND deleted_at IS NULL`, id).Scan(&mv.From); err != nil {
			if err == sql.ErrNoRows {
				return notFound("camera %d", id)
			}
			return err
		}
		parents, err := orgParents(ctx, tx)
		if err != nil {
			return err
		}
		if _, ok := parents[org]; !ok {
			return notFound("organisation %d", org)
		}
		if mv.From == org {
			return nil
		}
		// under reports whether the camera's new owner is at or below o.
		under := func(o int64) bool {
			seen := map[int64]bool{}
			for at := org; at != 0 && !seen[at]; at = parents[at] {
				if at == o {
					return true
				}
				seen[at] = true
			}
			return false
		}
		t := now()
		if _, err := tx.ExecContext(ctx, `UPDATE cameras SET organisation_id = $2, updated_at = $3 WHERE id = $1`, id, org, micros(t)); err != nil {
			return err
		}
		if err := recordOwner(ctx, tx, id, org, t); err != nil {
			return err
		}
		if mv.Groups, err = leaving(ctx, tx, `SELECT g.id, g.organisation_id FROM camera_groups g
			JOIN camera_group_members m ON m.group_id = g.id WHERE m.camera_id = $1 ORDER BY g.id`, id, under); err != nil {
			return err
		}
		for _, g := range mv.Groups {
			if _, err := tx.ExecContext(ctx, `DELETE FROM camera_group_members WHERE group_id = $1 AND camera_id = $2`, g, id); err != nil {
				return err
			}
		}
		if mv.Agreements, err = leaving(ctx, tx, `SELECT a.id, a.grantor_id FROM sharing_agreements a
			JOIN sharing_cameras c ON c.agreement_id = a.id WHERE c.camera_id = $1 ORDER BY a.id`, id, under); err != nil {
			return err
		}
		for _, a := range mv.Agreements {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sharing_cameras WHERE agreement_id = $1 AND camera_id = $2`, a, id); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE sharing_agreements SET updated_at = $2 WHERE id = $1`, a, micros(t)); err != nil {
				return err
			}
		}
		mv.Event = finance.Event{Camera: id, Day: finance.Day(day), Kind: finance.OwnerChanged, Org: org, Note: "moved through the console"}
		return tx.QueryRowContext(ctx, `INSERT INTO camera_events (camera_id, day, kind, category, organisation_id, note, created_by, created_at)
			VALUES ($1, $2, $3, '', $4, $5, $6, $7) RETURNING id`,
			id, micros(mv.Event.Day), string(mv.Event.Kind), org, mv.Event.Note, by, micros(t)).Scan(&mv.Event.ID)
	})
	return mv, wrap("move camera", err)
}

// orgParents maps every organisation to its parent (0: a top level).
func orgParents(ctx context.Context, tx *sql.Tx) (map[int64]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, parent_id FROM organisations`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var id int64
		var parent sql.NullInt64
		if err := rows.Scan(&id, &parent); err != nil {
			return nil, err
		}
		out[id] = parent.Int64
	}
	return out, rows.Err()
}

// leaving lists the ids of the rows q finds (id, organisation) whose
// organisation the camera is no longer under.
func leaving(ctx context.Context, tx *sql.Tx, q string, camera int64, under func(int64) bool) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, q, camera)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var id, o int64
		if err := rows.Scan(&id, &o); err != nil {
			return nil, err
		}
		if !under(o) {
			out = append(out, id)
		}
	}
	return out, rows.Err()
}
