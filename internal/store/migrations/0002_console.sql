-- Vigil schema, version 2: what the control-room console needs.
--
-- Cameras gain a place: the area and site they are filed under in the
-- console's tree, and a position for its map. Coordinates are DOUBLE
-- PRECISION, an IEEE binary64 on both engines (SQLite gives the name REAL
-- affinity), so a float64 comes back bit for bit. Both are NULL or neither:
-- half a position cannot be drawn.
-- SQLite adds one column per ALTER TABLE, so each column has its own.

ALTER TABLE cameras ADD COLUMN area TEXT NOT NULL DEFAULT '';
ALTER TABLE cameras ADD COLUMN site TEXT NOT NULL DEFAULT '';
ALTER TABLE cameras ADD COLUMN latitude DOUBLE PRECISION;
ALTER TABLE cameras ADD COLUMN longitude DOUBLE PRECISION;
ALTER TABLE cameras ADD COLUMN description TEXT NOT NULL DEFAULT '';

-- A layout is one user's saved arrangement of the video wall: a grid of
-- grid x grid tiles, each a camera id or empty. tiles is a JSON array
-- rather than a child table because it is only ever read and written
-- whole, and a camera's deletion must not reshuffle the wall.
CREATE TABLE layouts (
    id {{ID}},
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    grid INTEGER NOT NULL CHECK (grid BETWEEN 1 AND 5),
    tiles TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (user_id, name)
);
