-- The witness's copies are never changed or removed.
CREATE TRIGGER witness_no_update BEFORE UPDATE ON witness BEGIN SELECT RAISE(ABORT, 'audit witness copies cannot be changed'); END;
CREATE TRIGGER witness_no_delete BEFORE DELETE ON witness BEGIN SELECT RAISE(ABORT, 'audit witness copies cannot be deleted'); END;
