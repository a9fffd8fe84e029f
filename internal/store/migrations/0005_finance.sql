-- Vigil schema, version 5: the partnership's recharge.
--
-- Numbers 6 to 8 belong to work done alongside this; the runner applies
-- every migration a database has not had, whatever order they land in.

-- Monitoring categories and their weight in the recharge, in parts per
-- million (exact, unlike a float): a proactively monitored camera counts
-- once, a static reactive one, which asks far less of the control room,
-- half. A partnership may change the weights and add categories.
CREATE TABLE finance_categories (
    name TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    weight_ppm BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
INSERT INTO finance_categories (name, title, weight_ppm, created_at) VALUES ('proactive', 'Proactively monitored', 1000000, 0);
INSERT INTO finance_categories (name, title, weight_ppm, created_at) VALUES ('reactive', 'Static reactive', 500000, 0);

-- Every camera's dated history: installed (with category and owner),
-- recategorised, owner_changed, decommissioned. day is midnight UTC, in
-- microseconds like every instant; an event counts from the start of its
-- day. Rows are never changed, only added (or removed if entered wrongly),
-- so every past statement can be worked out again.
CREATE TABLE camera_events (
    id {{ID}},
    camera_id BIGINT NOT NULL REFERENCES cameras (id),
    day BIGINT NOT NULL,
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    organisation_id BIGINT REFERENCES organisations (id),
    note TEXT NOT NULL,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX camera_events_camera ON camera_events (camera_id, day, id);

-- The cameras there already are start their history as proactive, on the
-- day they were added; earlier dates can be entered for them.
INSERT INTO camera_events (camera_id, day, kind, category, organisation_id, note, created_by, created_at)
    SELECT id, created_at - created_at % 86400000000, 'installed', 'proactive', organisation_id,
        'history began', 0, created_at
    FROM cameras WHERE deleted_at IS NULL;

-- A financial year's settings: what partners' amounts are rounded to, in
-- pence, and the fixed element split before the camera-weighted part.
CREATE TABLE finance_years (
    year INTEGER PRIMARY KEY,
    unit_pence BIGINT NOT NULL,
    fixed_pence BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A statement's lines for a period ("2024/25-Q2"), in pence: the year's
-- budget, the actuals to date and the year-end estimate as they stood
-- then. company marks the trading company's income.
CREATE TABLE finance_lines (
    period TEXT NOT NULL,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    budget BIGINT NOT NULL,
    actuals BIGINT NOT NULL,
    estimate BIGINT NOT NULL,
    company BOOLEAN NOT NULL,
    comment TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (period, name)
);

-- Each partner's budget for a financial year, and its proportion of a
-- fixed element (all zero: equal).
CREATE TABLE finance_budgets (
    year INTEGER NOT NULL,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    budget BIGINT NOT NULL,
    fixed_proportion BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (year, organisation_id)
);
