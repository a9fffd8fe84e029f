-- Vigil schema, version 4: signing in, secure by default.
--
-- Number 3 belongs to work done alongside this; the runner applies every
-- migration a database has not had, whatever order they land in.
-- SQLite adds one column per ALTER TABLE, so each column has its own.

-- A user's TOTP second factor: the shared secret, sealed under the server's
-- credential key (a copy of the database alone does not reveal it), and
-- the last time step a code was accepted for, so that no code is accepted
-- twice.
ALTER TABLE users ADD COLUMN totp_secret {{BLOB}};
ALTER TABLE users ADD COLUMN totp_enabled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
-- Users made from an OpenID Connect sign-in are found again by the
-- provider's issuer and subject, never by a name the provider may reuse.
-- Both engines treat NULLs as distinct in a unique index, so password
-- users do not collide.
ALTER TABLE users ADD COLUMN oidc_issuer TEXT;
ALTER TABLE users ADD COLUMN oidc_subject TEXT;
ALTER TABLE users ADD COLUMN password_changed_at BIGINT;
CREATE UNIQUE INDEX users_oidc ON users (oidc_issuer, oidc_subject);

-- Console sessions and API tokens share the table: both are a secret whose
-- hash names a user. kind tells them apart ('api', 'session', or 'pending':
-- a sign-in that has passed the password and waits for its second factor).
-- Sessions record where they were made from, for the user's list of them.
ALTER TABLE tokens ADD COLUMN kind TEXT NOT NULL DEFAULT 'api';
ALTER TABLE tokens ADD COLUMN remote_addr TEXT NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
UPDATE tokens SET kind = 'session' WHERE name = 'console session';
CREATE INDEX tokens_user_kind ON tokens (user_id, kind);

-- One-use codes for signing in when the authenticator is lost. Only their
-- SHA-256 is kept: each has 80 random bits, too many to search.
CREATE TABLE recovery_codes (
    id {{ID}},
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hash {{BLOB}} NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

-- Failed sign-ins, counted per subject: 'user:NAME' for an account (named
-- as typed, whether or not it exists, so a lock says nothing about which
-- names are real) and 'addr:IP' for a remote address. version makes each
-- update a compare-and-swap, the same on both engines.
CREATE TABLE signin_throttle (
    subject TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    locked_until BIGINT NOT NULL,
    last_failure BIGINT NOT NULL,
    version BIGINT NOT NULL
);
