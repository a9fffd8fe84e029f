-- Vigil schema, version 18: the audit outbox.
--
-- A change and its audit record commit in one transaction of this
-- database: the record waits here until the trail (a database of its own)
-- has it, then goes. Ids only grow (AUTOINCREMENT on SQLite, an identity
-- on PostgreSQL), so the trail remembers how far it has taken this
-- outbox as one number, and a row drained but not yet deleted is never
-- taken twice. On PostgreSQL writers take a lock before inserting here
-- (Update), so ids are also in commit order and none commits behind the
-- drain's position.
CREATE TABLE audit_outbox (
    id {{ID}},
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
    detail TEXT NOT NULL
);

-- Which database this is, for the trail's record of how far it drained:
-- a database restored from an old copy, or a new one beside the same
-- trail, starts its ids again and must not be taken for this one.
CREATE TABLE audit_outbox_source (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    source TEXT NOT NULL
);
