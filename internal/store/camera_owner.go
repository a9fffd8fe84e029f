package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/vigil-cctv/vigil/internal/cameras"
)

// A camera's owners over time, to the microsecond (camera_owners): every
// change of cameras.organisation_id writes them in the same transaction,
// so that a four-eyes policy can follow footage recorded under an owner
// after the camera has left it.

// execer is what recording an owner needs of a transaction.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// recordOwner ends the camera's open period of ownership at at and opens
// one of org from at.
func recordOwner(ctx context.Context, tx execer, camera, org int64, at time.Time) error {
	t := micros(at)
	if _, err := tx.ExecContext(ctx, `UPDATE camera_owners SET until_us = $2 WHERE camera_id = $1 AND until_us IS NULL`, camera, t); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO camera_owners (camera_id, organisation_id, since_us, until_us) VALUES ($1, $2, $3, NULL)`, camera, org, t)
	return err
}

// CameraOwnerships returns a camera's periods of ownership, oldest first.
func (s *Store) CameraOwnerships(ctx context.Context, camera int64) ([]cameras.Ownership, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT organisation_id, since_us, until_us FROM camera_owners WHERE camera_id = $1
		ORDER BY since_us, id`, camera)
	if err != nil {
		return nil, wrap("camera ownerships", err)
	}
	defer rows.Close()
	out := []cameras.Ownership{}
	for rows.Next() {
		var o cameras.Ownership
		var since int64
		var until sql.NullInt64
		if err := rows.Scan(&o.OrganisationID, &since, &until); err != nil {
			return nil, wrap("camera ownerships", err)
		}
		o.Since, o.Until = fromMicros(since), fromNullMicros(until)
		out = append(out, o)
	}
	return out, wrap("camera ownerships", rows.Err())
}

// CameraOwnersDuring returns, in ascending order and each once, the
// organisations that owned the camera at some instant of [start, end).
// The camera's present owner is always among them, so that footage from
// before any recorded period (a clock set back) still answers to someone.
func (s *Store) CameraOwnersDuring(ctx context.Context, camera int64, start, end time.Time) ([]int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT organisation_id FROM camera_owners
		WHERE camera_id = $1 AND since_us < $3 AND (until_us IS NULL OR until_us > $2)
		UNION SELECT organisation_id FROM cameras WHERE id = $1
		ORDER BY 1`, camera, micros(start), micros(end))
	if err != nil {
		return nil, wrap(fmt.Sprintf("owners of camera %d", camera), err)
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var o int64
		if err := rows.Scan(&o); err != nil {
			return nil, wrap(fmt.Sprintf("owners of camera %d", camera), err)
		}
		out = append(out, o)
	}
	return out, wrap(fmt.Sprintf("owners of camera %d", camera), rows.Err())
}
