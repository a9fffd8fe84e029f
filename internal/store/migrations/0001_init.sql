-- Vigil schema, version 1.
--
-- One text serves both engines: {{ID}} and {{BLOB}} are replaced per
-- dialect before execution. Every instant is a BIGINT count of microseconds
-- since the Unix epoch, UTC, so comparisons and indexes behave identically
-- on SQLite and PostgreSQL. Durations are BIGINT nanoseconds so that the
-- 90 kHz media clock survives a round trip.
-- The runner drops comments and then splits at semicolons, so no string
-- literal may hold a semicolon.

CREATE TABLE organisations (
    id {{ID}},
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id {{ID}},
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    role TEXT NOT NULL,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);
CREATE INDEX users_organisation ON users (organisation_id);

CREATE TABLE tokens (
    id {{ID}},
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    hash {{BLOB}} NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    last_used_at BIGINT
);
CREATE INDEX tokens_user ON tokens (user_id);

CREATE TABLE cameras (
    id {{ID}},
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    credentials {{BLOB}},
    transport TEXT NOT NULL,
    retention_days INTEGER NOT NULL,
    enabled BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
-- Names are unique among live cameras only: a deleted camera's name may be
-- reused while its footage is still kept.
CREATE UNIQUE INDEX cameras_organisation_name ON cameras (organisation_id, name) WHERE deleted_at IS NULL;

CREATE TABLE segments (
    id {{ID}},
    camera_id BIGINT NOT NULL REFERENCES cameras (id),
    storage TEXT NOT NULL,
    path TEXT NOT NULL,
    start_us BIGINT NOT NULL,
    end_us BIGINT NOT NULL,
    size BIGINT NOT NULL,
    init_size BIGINT NOT NULL,
    codec TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    clock_offset_ns BIGINT NOT NULL,
    open BOOLEAN NOT NULL,
    UNIQUE (storage, path)
);
-- Both ends are indexed: a range query near the far past is cheap through
-- end_us, one near the present through start_us, and the planner picks.
CREATE INDEX segments_camera_start ON segments (camera_id, start_us);
CREATE INDEX segments_camera_end ON segments (camera_id, end_us);
CREATE INDEX segments_storage_start ON segments (storage, start_us);
CREATE INDEX segments_open ON segments (id) WHERE open;

-- camera_id is copied from the segment so that playback seeks with one
-- index range over (camera_id, start_us) regardless of segment boundaries.
CREATE TABLE fragments (
    segment_id BIGINT NOT NULL REFERENCES segments (id) ON DELETE CASCADE,
    camera_id BIGINT NOT NULL,
    start_us BIGINT NOT NULL,
    duration_ns BIGINT NOT NULL,
    byte_offset BIGINT NOT NULL,
    size BIGINT NOT NULL,
    data_offset BIGINT NOT NULL,
    samples INTEGER NOT NULL,
    keyframe BOOLEAN NOT NULL
);
CREATE INDEX fragments_camera_start ON fragments (camera_id, start_us);
CREATE INDEX fragments_segment ON fragments (segment_id, start_us);

CREATE TABLE gaps (
    id {{ID}},
    camera_id BIGINT NOT NULL REFERENCES cameras (id),
    start_us BIGINT NOT NULL,
    end_us BIGINT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX gaps_camera_start ON gaps (camera_id, start_us);

-- The deletion log and the audit log carry no foreign keys: they must
-- outlive the rows they describe.
CREATE TABLE deletions (
    id {{ID}},
    at_us BIGINT NOT NULL,
    camera_id BIGINT NOT NULL,
    segment_id BIGINT NOT NULL,
    storage TEXT NOT NULL,
    path TEXT NOT NULL,
    start_us BIGINT NOT NULL,
    end_us BIGINT NOT NULL,
    bytes BIGINT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX deletions_camera_at ON deletions (camera_id, at_us);
CREATE INDEX deletions_at ON deletions (at_us);

CREATE TABLE holds (
    id {{ID}},
    camera_id BIGINT NOT NULL REFERENCES cameras (id),
    start_us BIGINT NOT NULL,
    end_us BIGINT NOT NULL,
    reason TEXT NOT NULL,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    released_at BIGINT
);
CREATE INDEX holds_camera ON holds (camera_id, start_us);

CREATE TABLE audit_log (
    id {{ID}},
    at_us BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    username TEXT NOT NULL,
    action TEXT NOT NULL,
    camera_id BIGINT NOT NULL,
    range_start_us BIGINT,
    range_end_us BIGINT,
    remote_addr TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at_us);
CREATE INDEX audit_log_user_at ON audit_log (user_id, at_us);
CREATE INDEX audit_log_camera_at ON audit_log (camera_id, at_us);
