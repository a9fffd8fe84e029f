-- The witness's copies are never changed or removed.
CREATE FUNCTION audit_witness_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit witness copies cannot be changed or deleted (n %)', OLD.n;
END
$$;
CREATE TRIGGER witness_guard BEFORE UPDATE OR DELETE ON witness FOR EACH ROW EXECUTE FUNCTION audit_witness_guard();
CREATE TRIGGER witness_no_truncate BEFORE TRUNCATE ON witness FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();
