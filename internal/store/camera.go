package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Camera is a recording source.
type Camera struct {
	ID, OrganisationID int64
	Name, URL          string // URL holds no credentials
	Credentials        []byte // opaque, encrypted by the caller
	Transport          string // "tcp" or "udp"
	// RetentionDays is how long footage is kept. 0 means no age limit:
	// footage then goes only when its storage fills up, because a slip
	// that deleted everything at once would be far worse.
	RetentionDays int
	Enabled       bool
	CreatedAt     time.Time
	UpdatedAt     time.Time
	DeletedAt     *time.Time
}

// maxRetentionDays keeps retention arithmetic far from int64 overflow.
const maxRetentionDays = 36500

const cameraCols = `id, organisation_id, name, url, credentials, transport, retention_days, enabled, created_at, updated_at, deleted_at`

func scanCamera(sc scanner) (Camera, error) {
	var c Camera
	var created, updated int64
	var deleted sql.NullInt64
	if err := sc.Scan(&c.ID, &c.OrganisationID, &c.Name, &c.URL, &c.Credentials, &c.Transport,
		&c.RetentionDays, &c.Enabled, &created, &updated, &deleted); err != nil {
		return Camera{}, err
	}
	if len(c.Credentials) == 0 {
		c.Credentials = nil
	}
	c.CreatedAt, c.UpdatedAt, c.DeletedAt = fromMicros(created), fromMicros(updated), fromNullMicros(deleted)
	return c, nil
}

func validateCamera(c *Camera) error {
	if c.Transport == "" {
		c.Transport = "tcp"
	}
	switch {
	case c.OrganisationID <= 0:
		return errors.New("store: camera has no organisation")
	case c.Name == "":
		return errors.New("store: camera name is empty")
	case c.Transport != "tcp" && c.Transport != "udp":
		return fmt.Errorf("store: camera transport %q is neither tcp nor udp", c.Transport)
	case c.RetentionDays < 0 || c.RetentionDays > maxRetentionDays:
		return fmt.Errorf("store: camera retention %d days is outside 0..%d", c.RetentionDays, maxRetentionDays)
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		return fmt.Errorf("store: camera url: %w", err)
	}
	// Credentials belong in the encrypted column; a URL is logged and shown.
	if u.User != nil {
		return errors.New("store: camera url must not hold credentials")
	}
	return nil
}

// nullBlob stores an empty blob as NULL so both engines read back nil.
func nullBlob(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// CreateCamera inserts c and sets its ID and timestamps. An empty Transport
// becomes "tcp". A name already used by a live camera of the same
// organisation yields ErrConflict.
func (s *Store) CreateCamera(ctx context.Context, c *Camera) error {
	if err := validateCamera(c); err != nil {
		return err
	}
	t := now()
	err := s.w.QueryRowContext(ctx, `INSERT INTO cameras (organisation_id, name, url, credentials, transport,
		retention_days, enabled, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`,
		c.OrganisationID, c.Name, c.URL, nullBlob(c.Credentials), c.Transport, c.RetentionDays, c.Enabled, micros(t)).Scan(&c.ID)
	if err != nil {
		return wrap("create camera", err)
	}
	c.CreatedAt, c.UpdatedAt, c.DeletedAt = t, t, nil
	return nil
}

// Camera returns a live camera; a deleted one is ErrNotFound.
func (s *Store) Camera(ctx context.Context, id int64) (Camera, error) {
	c, err := scanCamera(s.r.QueryRowContext(ctx,
		`SELECT `+cameraCols+` FROM cameras WHERE id = $1 AND deleted_at IS NULL`, id))
	return c, wrap(fmt.Sprintf("camera %d", id), err)
}

// ListCameras returns every live camera by id.
func (s *Store) ListCameras(ctx context.Context) ([]Camera, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+cameraCols+` FROM cameras WHERE deleted_at IS NULL ORDER BY id`)
	if err != nil {
		return nil, wrap("list cameras", err)
	}
	defer rows.Close()
	var out []Camera
	for rows.Next() {
		c, err := scanCamera(rows)
		if err != nil {
			return nil, wrap("list cameras", err)
		}
		out = append(out, c)
	}
	return out, wrap("list cameras", rows.Err())
}

// UpdateCamera writes every mutable field of a live camera and sets
// UpdatedAt.
func (s *Store) UpdateCamera(ctx context.Context, c *Camera) error {
	if err := validateCamera(c); err != nil {
		return err
	}
	t := now()
	res, err := s.w.ExecContext(ctx, `UPDATE cameras SET organisation_id = $2, name = $3, url = $4, credentials = $5,
		transport = $6, retention_days = $7, enabled = $8, updated_at = $9 WHERE id = $1 AND deleted_at IS NULL`,
		c.ID, c.OrganisationID, c.Name, c.URL, nullBlob(c.Credentials), c.Transport, c.RetentionDays, c.Enabled, micros(t))
	if err != nil {
		return wrap("update camera", err)
	}
	if err := checkAffected(res, "camera", c.ID); err != nil {
		return wrap("update camera", err)
	}
	c.UpdatedAt = t
	return nil
}

// DeleteCamera marks a camera deleted. Its footage rows stay, to age out
// under the retention it had.
func (s *Store) DeleteCamera(ctx context.Context, id int64) error {
	t := micros(now())
	res, err := s.w.ExecContext(ctx, `UPDATE cameras SET deleted_at = $2, updated_at = $2 WHERE id = $1 AND deleted_at IS NULL`, id, t)
	if err != nil {
		return wrap("delete camera", err)
	}
	return checkAffected(res, "camera", id)
}

// RetentionDays maps every camera, deleted ones included, to its retention.
func (s *Store) RetentionDays(ctx context.Context) (map[int64]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, retention_days FROM cameras`)
	if err != nil {
		return nil, wrap("retention days", err)
	}
	defer rows.Close()
	out := make(map[int64]int)
	for rows.Next() {
		var id int64
		var days int
		if err := rows.Scan(&id, &days); err != nil {
			return nil, wrap("retention days", err)
		}
		out[id] = days
	}
	return out, wrap("retention days", rows.Err())
}
