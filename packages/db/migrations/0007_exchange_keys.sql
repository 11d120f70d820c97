-- Exchange API keys (OKX v5 style) and the third-party applications (brokers) a key can be bound to.
-- Secrets are never stored in clear: the secret key is AES-256-GCM sealed under a server key
-- (format byte 1, 12-byte nonce, 32-byte ciphertext, 16-byte tag), the passphrase is an
-- HMAC-SHA256 under another server key. Allowlist entries are stored normalised by the
-- application (10.0.0.0/8, 2001:db8::/32, 203.0.113.7).

CREATE TABLE exchange_brokers (
  id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  cidrs text[] NOT NULL CHECK (
    cardinality(cidrs) BETWEEN 1 AND 100
    AND array_ndims(cidrs) = 1
    AND array_position(cidrs, NULL) IS NULL
  ),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE TABLE exchange_api_keys (
  -- A random UUID v4, lower-case, like the keys OKX hands out.
  api_key text PRIMARY KEY CHECK (api_key ~ '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'),
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  label text NOT NULL CHECK (char_length(label) BETWEEN 1 AND 50),
  permissions text[] NOT NULL CHECK (
    cardinality(permissions) BETWEEN 1 AND 3
    AND array_ndims(permissions) = 1
    AND permissions <@ ARRAY['read', 'trade', 'withdraw']::text[]
  ),
  ip_allowlist text[] NOT NULL DEFAULT '{}' CHECK (
    cardinality(ip_allowlist) <= 20
    AND (cardinality(ip_allowlist) = 0 OR array_ndims(ip_allowlist) = 1)
    AND array_position(ip_allowlist, NULL) IS NULL
  ),
  broker_id text REFERENCES exchange_brokers (id) ON DELETE RESTRICT,
  secret_ciphertext bytea NOT NULL CHECK (octet_length(secret_ciphertext) = 61),
  passphrase_hmac bytea NOT NULL CHECK (octet_length(passphrase_hmac) = 32),
  created_at timestamptz NOT NULL,
  -- Last successful authentication, written at most once a minute.
  last_used_at timestamptz,
  -- An explicit expiry; the 14-day idle expiry of unbound trading keys is computed, not stored.
  expires_at timestamptz,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'frozen', 'revoked')),
  frozen_reason text CHECK (char_length(frozen_reason) BETWEEN 1 AND 200),
  revoked_at timestamptz,
  CHECK ((status = 'revoked') = (revoked_at IS NOT NULL)),
  CHECK (status <> 'frozen' OR frozen_reason IS NOT NULL),
  -- Withdrawing keys are always bound to addresses of their own.
  CHECK (NOT ('withdraw' = ANY (permissions)) OR cardinality(ip_allowlist) > 0)
);
CREATE INDEX exchange_api_keys_account_id_idx ON exchange_api_keys (account_id);
CREATE INDEX exchange_api_keys_broker_id_idx ON exchange_api_keys (broker_id) WHERE broker_id IS NOT NULL;
