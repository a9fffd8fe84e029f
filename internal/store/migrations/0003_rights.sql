-- Vigil schema, version 3: organisations, roles and rights.
--
-- Organisations form a tree: a partnership above its partners, a council
-- above its departments. A user's roles reach the cameras of their own
-- organisation and everything below it; sharing agreements reach further.

ALTER TABLE organisations ADD COLUMN parent_id BIGINT REFERENCES organisations (id);
CREATE INDEX organisations_parent ON organisations (parent_id);

-- The roles a user holds, each over all of their organisation's cameras
-- (camera_group_id 0) or one camera group's. users.role stays as the
-- role the account was made with, for display only.
CREATE TABLE user_roles (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    camera_group_id BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, role, camera_group_id)
);
INSERT INTO user_roles (user_id, role, camera_group_id, created_at)
    SELECT id, role, 0, created_at FROM users
    WHERE role IN ('operator', 'supervisor', 'cctv_manager', 'partner_officer', 'police_viewer',
                   'police_investigator', 'auditor', 'administrator');

CREATE TABLE camera_groups (
    id {{ID}},
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (organisation_id, name)
);
CREATE TABLE camera_group_members (
    group_id BIGINT NOT NULL REFERENCES camera_groups (id) ON DELETE CASCADE,
    camera_id BIGINT NOT NULL REFERENCES cameras (id),
    PRIMARY KEY (group_id, camera_id)
);
CREATE INDEX camera_group_members_camera ON camera_group_members (camera_id);

-- A sharing agreement lets the grantee organisation's people (within
-- their own roles) take the listed footage actions on the grantor's
-- cameras: all of them, or those listed and those in the listed groups.
-- rights is a space-separated list of actions. An agreement is never
-- deleted: ending it sets ends_at, so the record of what was shared stays.
CREATE TABLE sharing_agreements (
    id {{ID}},
    grantor_id BIGINT NOT NULL REFERENCES organisations (id),
    grantee_id BIGINT NOT NULL REFERENCES organisations (id),
    reference TEXT NOT NULL,
    rights TEXT NOT NULL,
    all_cameras BOOLEAN NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT,
    condition_name TEXT NOT NULL,
    incident_open_at BIGINT,
    incident_reference TEXT NOT NULL,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX sharing_agreements_grantee ON sharing_agreements (grantee_id);
CREATE INDEX sharing_agreements_grantor ON sharing_agreements (grantor_id);
CREATE TABLE sharing_cameras (
    agreement_id BIGINT NOT NULL REFERENCES sharing_agreements (id) ON DELETE CASCADE,
    camera_id BIGINT NOT NULL REFERENCES cameras (id),
    PRIMARY KEY (agreement_id, camera_id)
);
CREATE TABLE sharing_groups (
    agreement_id BIGINT NOT NULL REFERENCES sharing_agreements (id) ON DELETE CASCADE,
    group_id BIGINT NOT NULL REFERENCES camera_groups (id) ON DELETE CASCADE,
    PRIMARY KEY (agreement_id, group_id)
);

-- Four eyes: the actions for which an organisation (and everything below
-- it) requires a second person's approval.
CREATE TABLE four_eyes (
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    action TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, action)
);

-- An approval request: what someone asked to do (payload, JSON), whose
-- policy asked for a second person, and who decided. Like the audit log it
-- has no foreign keys: it must outlive the users and cameras it names.
CREATE TABLE approvals (
    id {{ID}},
    organisation_id BIGINT NOT NULL,
    action TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    summary TEXT NOT NULL,
    reason TEXT NOT NULL,
    camera_id BIGINT NOT NULL,
    range_start_us BIGINT,
    range_end_us BIGINT,
    requested_by BIGINT NOT NULL,
    requested_at BIGINT NOT NULL,
    state TEXT NOT NULL,
    decided_by BIGINT,
    decided_at BIGINT,
    note TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX approvals_state ON approvals (state, requested_at);
CREATE INDEX approvals_requester ON approvals (requested_by, requested_at);

-- A counter that every change rights decisions rest on bumps, in the same
-- transaction, so a server can tell with one small read whether another
-- process (a second server, the command line) changed them.
CREATE TABLE rights_version (
    id INTEGER PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO rights_version (id, version) VALUES (1, 0);
