-- MPC keyless wallet (server = party 1). Every server secret column (key shares, Paillier and
-- ring-Pedersen secrets, protocol states, presignatures) holds AES-256-GCM ciphertext under the
-- server's master key, bound to (table.column, row id, generation); the database never sees a
-- secret in the clear.

-- Which master key encrypted this database's secrets (an HMAC fingerprint, never the key), so a
-- node started with another key refuses to start instead of failing on every request.
CREATE TABLE mpc_master_key (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  key_id bytea NOT NULL CHECK (octet_length(key_id) = 8),
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Enrolled devices: a P-256 public key (uncompressed SEC1) each. Devices are not accounts.
CREATE TABLE mpc_devices (
  id text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{32}$'),
  public_key bytea NOT NULL UNIQUE CHECK (octet_length(public_key) = 65),
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Single-use enrolment challenges.
CREATE TABLE mpc_enrol_challenges (
  challenge text PRIMARY KEY CHECK (challenge ~ '^[0-9a-f]{64}$'),
  expires_at timestamptz NOT NULL,
  used boolean NOT NULL DEFAULT false
);
CREATE INDEX mpc_enrol_challenges_expires_at_idx ON mpc_enrol_challenges (expires_at);

-- Nonces of device-signed requests, kept past the timestamp window so a replay is refused by
-- every server node.
CREATE TABLE mpc_request_nonces (
  device_id text NOT NULL REFERENCES mpc_devices (id) ON DELETE CASCADE,
  nonce text NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (device_id, nonce)
);
CREATE INDEX mpc_request_nonces_expires_at_idx ON mpc_request_nonces (expires_at);

-- A wallet: the server's share and pairing of the active generation, and — during a refresh —
-- the pending ones, which replace them once the new pair has produced a verified signature.
CREATE TABLE mpc_wallets (
  id text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{32}$'),
  device_id text NOT NULL REFERENCES mpc_devices (id),
  public_key bytea CHECK (octet_length(public_key) = 33),
  chain_code bytea CHECK (octet_length(chain_code) = 32),
  status text NOT NULL CHECK (status IN ('dkg', 'pairing', 'active')),
  generation integer NOT NULL DEFAULT 1 CHECK (generation >= 1),
  signing_disabled_at timestamptz,
  disabled_reason text,
  blind_signing boolean NOT NULL DEFAULT false,
  server_share bytea,
  pairing bytea,
  pending_device_id text REFERENCES mpc_devices (id),
  pending_session_id text,
  pending_share bytea,
  pending_pairing bytea,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mpc_wallets_device_id_idx ON mpc_wallets (device_id);

-- Protocol sessions (dkg, refresh, pair, presign): the server party's state between HTTP
-- requests. `round` is the optimistic-concurrency counter: a step commits only if it is unchanged.
CREATE TABLE mpc_sessions (
  id text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{64}$'),
  wallet_id text NOT NULL REFERENCES mpc_wallets (id) ON DELETE CASCADE,
  device_id text NOT NULL REFERENCES mpc_devices (id) ON DELETE CASCADE,
  protocol text NOT NULL CHECK (protocol IN ('dkg', 'refresh', 'pair', 'presign')),
  round integer NOT NULL DEFAULT 0,
  state bytea,
  expires_at timestamptz NOT NULL,
  done boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mpc_sessions_wallet_id_idx ON mpc_sessions (wallet_id);
CREATE INDEX mpc_sessions_expires_at_idx ON mpc_sessions (expires_at);

-- Single-use presignatures; consumed by one UPDATE … WHERE used_at IS NULL, which also erases the
-- sealed nonce (state): a used presignature keeps only its id and times.
CREATE TABLE mpc_presignatures (
  id text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{64}$'),
  wallet_id text NOT NULL REFERENCES mpc_wallets (id) ON DELETE CASCADE,
  device_id text NOT NULL REFERENCES mpc_devices (id) ON DELETE CASCADE,
  generation integer NOT NULL,
  state bytea,
  created_at timestamptz NOT NULL DEFAULT now(),
  used_at timestamptz,
  CHECK ((used_at IS NULL) = (state IS NOT NULL))
);
CREATE INDEX mpc_presignatures_unused_idx ON mpc_presignatures (wallet_id) WHERE used_at IS NULL;
