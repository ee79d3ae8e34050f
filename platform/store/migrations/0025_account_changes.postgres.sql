-- Every change to an account is announced on `kentro_accounts` when its
-- transaction commits, so that each server replica forgets the accounts it
-- keeps in memory (see account_cache.rs). A trigger, so that no code path
-- and no hand-made change can forget to announce one.
CREATE FUNCTION announce_account_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('kentro_accounts', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER user_account_changed
    AFTER UPDATE OR DELETE OR TRUNCATE ON user_account
    FOR EACH STATEMENT EXECUTE FUNCTION announce_account_change();
