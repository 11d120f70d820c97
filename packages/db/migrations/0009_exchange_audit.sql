-- The exchange anti-fraud engine's record. Stands alone: no other exchange table is needed.

-- Every anti-fraud decision other than a plain allow: what was evaluated (subject: request, order
-- or withdrawal), the action taken, the score and the rules that fired (rules, for look-ups by
-- rule), the findings in full and the non-secret context (ip, pair, side, prices, sizes, address).
-- account_id is deliberately not a foreign key: an audit row outlives the account it is about and
-- is never rewritten. api_key is the key's public identifier, never its secret or passphrase.
CREATE TABLE exchange_audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL,
  account_id bigint,
  api_key text,
  subject text NOT NULL CHECK (subject IN ('request', 'order', 'withdrawal')),
  action text NOT NULL CHECK (action IN ('flag', 'reauth', 'reject', 'freeze_key', 'freeze_withdrawals')),
  score integer NOT NULL CHECK (score >= 0),
  rules text[] NOT NULL,
  findings jsonb NOT NULL,
  context jsonb NOT NULL
);
CREATE INDEX exchange_audit_log_account_at_idx ON exchange_audit_log (account_id, at DESC);
CREATE INDEX exchange_audit_log_api_key_at_idx ON exchange_audit_log (api_key, at DESC);
CREATE INDEX exchange_audit_log_at_idx ON exchange_audit_log (at DESC);

-- The networks (an IPv4 /24, an IPv6 /64 by default) each API key was used from, so that "a new
-- IP for this key" survives restarts and is shared between gateway processes.
CREATE TABLE exchange_key_ips (
  api_key text NOT NULL,
  network text NOT NULL,
  first_seen timestamptz NOT NULL,
  last_seen timestamptz NOT NULL,
  PRIMARY KEY (api_key, network)
);
