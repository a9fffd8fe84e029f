package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"unicode/utf8"

	"github.com/vigil-cctv/vigil/internal/cameras"
)

// maxRetentionDays keeps retention arithmetic far from int64 overflow.
const maxRetentionDays = 36500

// The store keeps the cameras' repository.
var _ cameras.Repo = (*Store)(nil)

const cameraCols = `id, organisation_id, name, url, credentials, transport, retention_days, enabled,
	area, site, description, latitude, longitude, created_at, updated_at, deleted_at`

func scanCamera(sc scanner) (cameras.Camera, error) {
	var c cameras.Camera
	var created, updated int64
	var deleted sql.NullInt64
	var lat, lon sql.NullFloat64
	if err := sc.Scan(&c.ID, &c.OrganisationID, &c.Name, &c.URL, &c.Credentials, &c.Transport,
		&c.RetentionDays, &c.Enabled, &c.Area, &c.Site, &c.Description, &lat, &lon,
		&created, &updated, &deleted); err != nil {
		return cameras.Camera{}, err
	}
	if len(c.Credentials) == 0 {
		c.Credentials = nil
	}
	if lat.Valid {
		c.Latitude = &lat.Float64
	}
	if lon.Valid {
		c.Longitude = &lon.Float64
	}
	c.CreatedAt, c.UpdatedAt, c.DeletedAt = fromMicros(created), fromMicros(updated), fromNullMicros(deleted)
	return c, nil
}

func validateCamera(c *cameras.Camera) error {
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
	case utf8.RuneCountInString(c.Area) > cameras.MaxPlace || utf8.RuneCountInString(c.Site) > cameras.MaxPlace:
		return fmt.Errorf("store: camera area and site must be at most %d characters", cameras.MaxPlace)
	case utf8.RuneCountInString(c.Description) > cameras.MaxDescription:
		return fmt.Errorf("store: camera description must be at most %d characters", cameras.MaxDescription)
	}
	for _, n := range []struct{ what, name string }{{"a camera's name", c.Name}, {"a camera's area", c.Area}, {"a camera's site", c.Site}} {
		if err := checkName(n.what, n.name); err != nil {
			return err
		}
	}
	if err := validatePosition(c.Latitude, c.Longitude); err != nil {
		return err
	}
	// SQLite keeps a whole-numbered REAL as an integer, which has no
	// negative zero; making it +0 here keeps both engines and the caller's
	// copy identical.
	for _, p := range []**float64{&c.Latitude, &c.Longitude} {
		if *p != nil && **p == 0 {
			*p = new(float64)
		}
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

// validatePosition checks a camera position: both coordinates or neither,
// latitude within -90..90 and longitude within -180..180 degrees.
func validatePosition(lat, lon *float64) error {
	switch {
	case (lat == nil) != (lon == nil):
		return errors.New("store: camera latitude and longitude must be set together")
	case lat == nil:
		return nil
	// Written as negations so that NaN, which compares false, fails too.
	case !(*lat >= -90 && *lat <= 90):
		return fmt.Errorf("store: camera latitude %v is outside -90..90", *lat)
	case !(*lon >= -180 && *lon <= 180):
		return fmt.Errorf("store: camera longitude %v is outside -180..180", *lon)
	}
	return nil
}

func nullFloat(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
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
func (s *Store) CreateCamera(ctx context.Context, c *cameras.Camera) error {
	if err := validateCamera(c); err != nil {
		return err
	}
	t := now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO cameras (organisation_id, name, url, credentials, transport,
		retention_days, enabled, area, site, description, latitude, longitude, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id`,
			c.OrganisationID, c.Name, c.URL, nullBlob(c.Credentials), c.Transport, c.RetentionDays, c.Enabled,
			c.Area, c.Site, c.Description, nullFloat(c.Latitude), nullFloat(c.Longitude), micros(t)).Scan(&c.ID)
		if err != nil {
			return err
		}
		return recordOwner(ctx, tx, c.ID, c.OrganisationID, t)
	})
	if err != nil {
		return wrap("create camera", err)
	}
	c.CreatedAt, c.UpdatedAt, c.DeletedAt = t, t, nil
	return nil
}

// Camera returns a live camera; a deleted one is ErrNotFound.
func (s *Store) Camera(ctx context.Context, id int64) (cameras.Camera, error) {
	c, err := scanCamera(s.r.QueryRowContext(ctx,
		`SELECT `+cameraCols+` FROM cameras WHERE id = $1 AND deleted_at IS NULL`, id))
	return c, wrap(fmt.Sprintf("camera %d", id), err)
}

// CameraOrganisation is the organisation that owns live camera id; a
// deleted one is ErrNotFound.
func (s *Store) CameraOrganisation(ctx context.Context, id int64) (int64, error) {
	var org int64
	err := s.r.QueryRowContext(ctx, `SELECT organisation_id FROM cameras WHERE id = $1 AND deleted_at IS NULL`, id).Scan(&org)
	return org, wrap(fmt.Sprintf("camera %d", id), err)
}

// ListCameras returns every live camera by id.
func (s *Store) ListCameras(ctx context.Context) ([]cameras.Camera, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+cameraCols+` FROM cameras WHERE deleted_at IS NULL ORDER BY id`)
	if err != nil {
		return nil, wrap("list cameras", err)
	}
	defer rows.Close()
	var out []cameras.Camera
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
func (s *Store) UpdateCamera(ctx context.Context, c *cameras.Camera) error {
	if err := validateCamera(c); err != nil {
		return err
	}
	t := now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		// A change of owner here (the demo renaming its old cameras) is
		// recorded like a move, so the ownership history stays whole.
		var was int64
		err := tx.QueryRowContext(ctx, `SELECT organisation_id FROM cameras WHERE id = $1 AND deleted_at IS NULL`, c.ID).Scan(&was)
		if err == sql.ErrNoRows {
			return notFound("camera %d", c.ID)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cameras SET organisation_id = $2, name = $3, url = $4, credentials = $5,
		transport = $6, retention_days = $7, enabled = $8, area = $9, site = $10, description = $11,
		latitude = $12, longitude = $13, updated_at = $14 WHERE id = $1 AND deleted_at IS NULL`,
			c.ID, c.OrganisationID, c.Name, c.URL, nullBlob(c.Credentials), c.Transport, c.RetentionDays, c.Enabled,
			c.Area, c.Site, c.Description, nullFloat(c.Latitude), nullFloat(c.Longitude), micros(t)); err != nil {
			return err
		}
		if was != c.OrganisationID {
			return recordOwner(ctx, tx, c.ID, c.OrganisationID, t)
		}
		return nil
	})
	if err != nil {
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
