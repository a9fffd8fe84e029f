-- A witness: copies of another trail's signed checkpoints, kept in a
-- database apart from that trail's (best on another machine), so that
-- whoever removes records and checkpoints from the trail, and the witness
-- file beside it, still leaves the newest checkpoint here. A trail's own
-- database has this table too, unused, so that any trail database can
-- witness another. Rows are only ever added (the guards refuse the rest).
CREATE TABLE witness (
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
