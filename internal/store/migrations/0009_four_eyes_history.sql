-- Vigil schema, version 9: four eyes that moving a camera or making an
-- account cannot get round.

-- Who owned each camera when, to the microsecond: a four-eyes policy
-- follows the footage, so an export or early deletion of footage
-- recorded while a strict council owned the camera needs that council's
-- approval even after the camera has moved. A period is open (until_us
-- NULL) while it lasts; a change of owner closes it and opens the next
-- in the same transaction. Camera events (day-dated, for the recharge)
-- are too coarse for this: a camera moved away and back within a day
-- would leave no trace at the instant that matters.
CREATE TABLE camera_owners (
    id {{ID}},
    camera_id BIGINT NOT NULL REFERENCES cameras (id),
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    since_us BIGINT NOT NULL,
    until_us BIGINT
);
CREATE INDEX camera_owners_camera ON camera_owners (camera_id, since_us);

-- Cameras from before this version are taken to have belonged to their
-- present owner since they were made: nothing finer was kept.
INSERT INTO camera_owners (camera_id, organisation_id, since_us, until_us)
    SELECT id, organisation_id, created_at, NULL FROM cameras;
-- And, where their day-dated history names earlier owners (a move
-- through the console, an imported history), to each of those from the
-- day it took the camera to the end of the day it gave it up: a day is
-- all that history says, so the whole of both days answers to both.
INSERT INTO camera_owners (camera_id, organisation_id, since_us, until_us)
    SELECT camera_id, organisation_id, day, next_day + 86400000000 FROM (
        SELECT camera_id, organisation_id, day,
            LEAD(day) OVER (PARTITION BY camera_id ORDER BY day, id) AS next_day
        FROM camera_events
        WHERE kind IN ('installed', 'owner_changed') AND organisation_id IS NOT NULL
    ) history
    WHERE next_day IS NOT NULL;

-- Who made each account through the server (NULL: the first
-- administrator, the command line, the demo, a single sign-on, or an
-- account from before this version). An account may not widen the rights
-- of the one that made it, or be its second pair of eyes, without
-- someone else. No foreign key: deleting the maker leaves the record.
ALTER TABLE users ADD COLUMN created_by BIGINT;
