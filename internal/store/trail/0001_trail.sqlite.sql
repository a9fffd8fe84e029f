-- No UPDATE ever, and DELETE only of what the newest checkpoint says
-- retention removed: a whole prefix of the chain, or checkpoints before the
-- first it kept. The application cannot rewrite the trail; someone who
-- drops these triggers can, and verification is what catches that.
CREATE TRIGGER records_no_update BEFORE UPDATE ON records BEGIN SELECT RAISE(ABORT, 'audit records cannot be changed'); END;
CREATE TRIGGER records_no_delete BEFORE DELETE ON records WHEN OLD.seq >= COALESCE((SELECT start_seq FROM checkpoints ORDER BY n DESC LIMIT 1), 1) BEGIN SELECT RAISE(ABORT, 'audit records cannot be deleted'); END;
CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints BEGIN SELECT RAISE(ABORT, 'audit checkpoints cannot be changed'); END;
CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints WHEN OLD.n >= COALESCE((SELECT first_checkpoint FROM checkpoints ORDER BY n DESC LIMIT 1), 1) BEGIN SELECT RAISE(ABORT, 'audit checkpoints cannot be deleted'); END;
