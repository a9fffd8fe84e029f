-- How far the trail has taken each main database's audit outbox: written
-- in the same transaction as the records, so that a drain interrupted
-- after the trail committed never writes them twice.
CREATE TABLE outbox_drained (
    source TEXT PRIMARY KEY,
    through BIGINT NOT NULL
);
