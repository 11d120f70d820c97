-- When an API key last changed in a way its authentication depends on, by the database's own clock,
-- so that every gateway process can keep its keys in memory and ask one cheap question a second:
-- "which keys changed since I last looked?". A trigger stamps every such change, whoever makes it
-- (the key store, an operator's SQL, a broker's new ranges); the last-use stamp is not such a change.

ALTER TABLE exchange_api_keys ADD COLUMN changed_at timestamptz NOT NULL DEFAULT clock_timestamp();
CREATE INDEX exchange_api_keys_changed_at_idx ON exchange_api_keys (changed_at);

CREATE FUNCTION exchange_api_keys_stamp_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.changed_at := clock_timestamp();
  RETURN NEW;
END
$$;

CREATE TRIGGER exchange_api_keys_changed BEFORE UPDATE ON exchange_api_keys FOR EACH ROW
  WHEN (
    (OLD.api_key, OLD.account_id, OLD.label, OLD.permissions, OLD.ip_allowlist, OLD.broker_id,
     OLD.secret_ciphertext, OLD.passphrase_hmac, OLD.expires_at, OLD.status, OLD.frozen_reason,
     OLD.revoked_at)
    IS DISTINCT FROM
    (NEW.api_key, NEW.account_id, NEW.label, NEW.permissions, NEW.ip_allowlist, NEW.broker_id,
     NEW.secret_ciphertext, NEW.passphrase_hmac, NEW.expires_at, NEW.status, NEW.frozen_reason,
     NEW.revoked_at)
  )
  EXECUTE FUNCTION exchange_api_keys_stamp_change();

-- A broker's ranges are part of every key bound to it.
CREATE FUNCTION exchange_brokers_stamp_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE exchange_api_keys SET changed_at = clock_timestamp() WHERE broker_id = NEW.id;
  RETURN NULL;
END
$$;

CREATE TRIGGER exchange_brokers_changed AFTER UPDATE ON exchange_brokers FOR EACH ROW
  WHEN (OLD.cidrs IS DISTINCT FROM NEW.cidrs)
  EXECUTE FUNCTION exchange_brokers_stamp_keys();

-- A deleted key (its account deleted) leaves a stamped tombstone, so no process keeps serving it.
CREATE TABLE exchange_api_key_deletions (
  api_key text NOT NULL,
  deleted_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX exchange_api_key_deletions_deleted_at_idx ON exchange_api_key_deletions (deleted_at);

CREATE FUNCTION exchange_api_keys_tombstone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO exchange_api_key_deletions (api_key) VALUES (OLD.api_key);
  RETURN NULL;
END
$$;

CREATE TRIGGER exchange_api_keys_deleted AFTER DELETE ON exchange_api_keys FOR EACH ROW
  EXECUTE FUNCTION exchange_api_keys_tombstone();
