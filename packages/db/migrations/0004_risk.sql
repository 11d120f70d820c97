-- The co-signer's policy and decisions (the MPC server party signs only what it has scanned).
-- Needs the mpc set (0002).

-- Per-wallet signing policy. daily_limits: [{chainId, asset: 'native' | token address, amount}]
-- with amounts in the asset's smallest units (decimal strings); allowlist: destinations a
-- transaction may send to, grant rights to or call (null = no allow-list).
CREATE TABLE mpc_wallet_policies (
  wallet_id text PRIMARY KEY REFERENCES mpc_wallets (id) ON DELETE CASCADE,
  daily_limits jsonb NOT NULL DEFAULT '[]'::jsonb,
  allowlist text[],
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Every co-signing decision: what was asked (kind, digest, chain), what the risk engine said
-- (verdict), what the policy decided, and the outflows it counted against the daily limits.
-- A 'signed' row is written before the signature is produced and turned into 'failed' if the
-- signing step fails, so concurrent requests cannot both spend the same limit.
CREATE TABLE mpc_sign_decisions (
  id bigserial PRIMARY KEY,
  wallet_id text NOT NULL REFERENCES mpc_wallets (id) ON DELETE CASCADE,
  device_id text NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  request_kind text NOT NULL CHECK (request_kind IN ('transaction', 'message', 'typed-data', 'digest')),
  digest text NOT NULL,
  chain_id bigint,
  action text CHECK (action IN ('allow', 'warn', 'block')),
  decision text NOT NULL CHECK (decision IN ('signed', 'refused', 'confirmation-required', 'failed')),
  reason text NOT NULL,
  verdict jsonb,
  outflows jsonb NOT NULL DEFAULT '[]'::jsonb
);
CREATE INDEX mpc_sign_decisions_wallet_at_idx ON mpc_sign_decisions (wallet_id, at DESC);
