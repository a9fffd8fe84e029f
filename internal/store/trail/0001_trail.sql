-- The audit trail's schema, version 1. It lives in a database of its own
-- (audit.db beside vigil.db, or a PostgreSQL schema of its own), so that
-- nothing that rewrites the main data can reach it, and it has its own
-- retention.
--
-- {{SEQ}} is the engine's plain 64-bit integer key: a rowid alias on SQLite,
-- so the chain is stored in sequence order. The writer assigns seq itself:
-- it is part of what each record's hash covers.
--
-- A statement ends with a semicolon at the end of a line; semicolons inside
-- a line or inside $$ quotes do not end it.

CREATE TABLE records (
    seq {{SEQ}},
    at_us BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    username TEXT NOT NULL,
    organisation_id BIGINT NOT NULL,
    action TEXT NOT NULL,
    camera_id BIGINT NOT NULL,
    range_start_us BIGINT,
    range_end_us BIGINT,
    remote_addr TEXT NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    version INTEGER NOT NULL,
    prev_hash {{BLOB}} NOT NULL,
    hash {{BLOB}} NOT NULL,
    mac {{BLOB}} NOT NULL
);
-- The console's filters, each newest first.
CREATE INDEX records_username ON records (username, seq);
CREATE INDEX records_organisation ON records (organisation_id, seq);
CREATE INDEX records_camera ON records (camera_id, seq);
CREATE INDEX records_action ON records (action, seq);
CREATE INDEX records_at ON records (at_us);

-- A checkpoint is a signature over the chain up to seq. Checkpoints are
-- numbered densely (n) and chained too (prev: the hash of checkpoint n-1
-- with its signature), so the newest signature vouches for them all and
-- one removed leaves a hole. Each states where the retained chain starts
-- (start_seq, whose record links to start_prev) and the first checkpoint
-- retention kept.
CREATE TABLE checkpoints (
    n {{SEQ}},
    seq BIGINT NOT NULL,
    hash {{BLOB}} NOT NULL,
    at_us BIGINT NOT NULL,
    start_seq BIGINT NOT NULL,
    start_prev {{BLOB}} NOT NULL,
    first_checkpoint BIGINT NOT NULL,
    kind TEXT NOT NULL,
    prev {{BLOB}} NOT NULL,
    key_id TEXT NOT NULL,
    signature {{BLOB}} NOT NULL
);
CREATE INDEX checkpoints_seq ON checkpoints (seq);
