-- Vigil schema, version 12: usernames that look alike.
--
-- username_skeleton is the Unicode confusable skeleton (UTS #39) of the
-- username's NFKC case-folded form, made by package names: "admin" and
-- "аdmin" (Cyrillic а) share one. Being unique, it stops a second account
-- that passes for the first, even when both are made at once. SQL cannot
-- compute it, so Open fills it for users made before this version; until
-- then, and for a look-alike pair that already existed, it is NULL, which
-- the unique index lets be.

ALTER TABLE users ADD COLUMN username_skeleton TEXT;
CREATE UNIQUE INDEX users_username_skeleton ON users (username_skeleton);
