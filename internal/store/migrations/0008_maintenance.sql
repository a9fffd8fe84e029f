-- Vigil schema, version 8: camera maintenance.
--
-- A camera's availability history is its outages: from when its video
-- stopped to when it came back (ended_at NULL while it lasts). Faults are
-- raised on a camera, by Vigil when an outage lasts too long or by a
-- person, and assigned to the maintenance contractor; each carries the
-- response and fix deadlines its priority gave it when it was raised, so
-- a later change of targets does not rewrite past performance.

CREATE TABLE maintenance_contractors (
    id {{ID}},
    name TEXT NOT NULL UNIQUE,
    contact TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE camera_outages (
    id {{ID}},
    camera_id BIGINT NOT NULL REFERENCES cameras (id),
    started_at BIGINT NOT NULL,
    ended_at BIGINT,
    reason TEXT NOT NULL,
    end_reason TEXT NOT NULL
);
CREATE INDEX camera_outages_camera ON camera_outages (camera_id, started_at);
CREATE INDEX camera_outages_open ON camera_outages (ended_at);

CREATE TABLE maintenance_faults (
    id {{ID}},
    camera_id BIGINT NOT NULL REFERENCES cameras (id),
    kind TEXT NOT NULL,
    priority TEXT NOT NULL,
    state TEXT NOT NULL,
    description TEXT NOT NULL,
    automatic BOOLEAN NOT NULL,
    outage_id BIGINT REFERENCES camera_outages (id),
    contractor_id BIGINT REFERENCES maintenance_contractors (id),
    raised_at BIGINT NOT NULL,
    raised_by TEXT NOT NULL,
    response_due_at BIGINT NOT NULL,
    fix_due_at BIGINT NOT NULL,
    acknowledged_at BIGINT,
    acknowledged_by TEXT NOT NULL,
    fixed_at BIGINT,
    fixed_by TEXT NOT NULL,
    closed_at BIGINT,
    closed_by TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX maintenance_faults_camera ON maintenance_faults (camera_id, raised_at);
CREATE INDEX maintenance_faults_raised ON maintenance_faults (raised_at);
