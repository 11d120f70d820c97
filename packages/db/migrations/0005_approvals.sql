-- Authorization management: approval discovery's progress and events per (chain, owner), the
-- last list computed from them, and the signed permits custos saw that no transaction used yet.

-- One row per account and chain scanned. scanned_to: the last block whose logs are all in
-- approval_events (null: never scanned). checkpoints: [{block, hash}] of blocks read, newest
-- last, thinned exponentially with age, to find where a reorg or a reset chain begins.
CREATE TABLE approval_scans (
  chain_id bigint NOT NULL,
  owner text NOT NULL CHECK (owner ~ '^0x[0-9a-f]{40}$'),
  scanned_to bigint,
  checkpoints jsonb NOT NULL DEFAULT '[]'::jsonb,
  status text NOT NULL DEFAULT 'idle' CHECK (status IN ('idle', 'scanning', 'failed')),
  error jsonb,
  -- The last computed list of live approvals, and the block its state was read at.
  approvals jsonb,
  approvals_block bigint,
  -- The scan lease: which scanner holds the account and until when (renewed at every page).
  scan_holder text,
  lease_until timestamptz,
  scan_started_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chain_id, owner)
);

-- Every approval event of the owner (one row per log: the primary key makes re-reading a block
-- range idempotent). value: amount, token id or 0/1 (approval-for-all), as a decimal string.
CREATE TABLE approval_events (
  chain_id bigint NOT NULL,
  owner text NOT NULL,
  block_number bigint NOT NULL,
  log_index integer NOT NULL,
  block_hash text NOT NULL,
  tx_hash text NOT NULL,
  emitter text NOT NULL,
  type text NOT NULL CHECK (type IN ('erc20-approval', 'erc721-approval', 'approval-for-all',
    'permit2-approval', 'permit2-permit', 'permit2-lockdown')),
  token text NOT NULL,
  spender text NOT NULL,
  value numeric(78, 0) NOT NULL,
  expiration bigint,
  PRIMARY KEY (chain_id, owner, block_number, log_index),
  FOREIGN KEY (chain_id, owner) REFERENCES approval_scans (chain_id, owner) ON DELETE CASCADE
);

-- Signed permits (EIP-2612, Permit2 AllowanceTransfer and SignatureTransfer) seen passing the
-- firewall or the co-signer. typed_data is the EIP-712 document that was signed (no signature is
-- kept: revoking needs only the nonce). Listed while unused and unexpired.
CREATE TABLE approval_offchain_permits (
  id bigserial PRIMARY KEY,
  chain_id bigint NOT NULL,
  owner text NOT NULL CHECK (owner ~ '^0x[0-9a-f]{40}$'),
  scheme text NOT NULL CHECK (scheme IN ('eip2612', 'permit2-allowance', 'permit2-transfer')),
  verifying_contract text NOT NULL,
  token text NOT NULL,
  spender text NOT NULL,
  amount numeric(78, 0) NOT NULL,
  nonce numeric(78, 0) NOT NULL,
  deadline numeric(78, 0),
  expiration bigint,
  digest text NOT NULL,
  typed_data jsonb NOT NULL,
  via text NOT NULL CHECK (via IN ('firewall', 'cosigner', 'import')),
  signed_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (chain_id, owner, digest, token)
);
CREATE INDEX approval_offchain_permits_owner_idx ON approval_offchain_permits (chain_id, owner);
