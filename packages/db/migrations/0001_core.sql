-- Identity: exchange accounts (proof-of-reserves user ids are these ids) and their sessions.
CREATE TABLE accounts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
  password_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Session tokens and CSRF values are stored only as SHA-256 hashes.
CREATE TABLE sessions (
  token_hash bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  csrf_hash bytea NOT NULL CHECK (octet_length(csrf_hash) = 32),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_account_id_idx ON sessions (account_id);
-- Logins delete expired sessions as they go.
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

-- A chain is known by its chain id AND its genesis block hash: one live genesis per chain id.
-- When a chain id comes back with another genesis (a reset dev chain), its row is replaced and
-- everything that references it is dropped by ON DELETE CASCADE.
CREATE TABLE chains (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  chain_id bigint NOT NULL UNIQUE CHECK (chain_id > 0),
  genesis_hash bytea NOT NULL CHECK (octet_length(genesis_hash) = 32),
  first_seen timestamptz NOT NULL DEFAULT now(),
  last_seen timestamptz NOT NULL DEFAULT now()
);

-- Small keyed facts about one chain instance (deployed fixtures, scan cursors).
CREATE TABLE chain_records (
  chain_ref bigint NOT NULL REFERENCES chains (id) ON DELETE CASCADE,
  kind text NOT NULL,
  key text NOT NULL,
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chain_ref, kind, key)
);
