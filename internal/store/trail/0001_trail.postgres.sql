-- No UPDATE ever, and DELETE only of what the newest checkpoint says
-- retention removed: a whole prefix of the chain, or checkpoints before the
-- first it kept; no TRUNCATE. The application cannot rewrite the trail;
-- someone who drops these triggers can, and verification is what catches
-- that. The functions keep the search_path they were made with, so they
-- find this schema's checkpoints whoever calls them.
CREATE FUNCTION audit_records_guard() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.seq < COALESCE((SELECT start_seq FROM checkpoints ORDER BY n DESC LIMIT 1), 1) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit records cannot be changed or deleted (seq %)', OLD.seq;
END
$$;
CREATE FUNCTION audit_checkpoints_guard() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.n < COALESCE((SELECT first_checkpoint FROM checkpoints ORDER BY n DESC LIMIT 1), 1) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit checkpoints cannot be changed or deleted (n %)', OLD.n;
END
$$;
CREATE FUNCTION audit_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail cannot be truncated';
END
$$;
CREATE TRIGGER records_guard BEFORE UPDATE OR DELETE ON records FOR EACH ROW EXECUTE FUNCTION audit_records_guard();
CREATE TRIGGER records_no_truncate BEFORE TRUNCATE ON records FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();
CREATE TRIGGER checkpoints_guard BEFORE UPDATE OR DELETE ON checkpoints FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_guard();
CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON checkpoints FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();
