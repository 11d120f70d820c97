-- The exchange's reference ledger: assets and their withdrawal chains, spot markets, balances with
-- their journal, orders and fills, deposits, the withdrawal address allow-list, withdrawals, and
-- the audit of who changed what. Every amount is an integer number of units (numeric(38,0)) at a
-- declared scale: an asset's scale for balances and sizes, a market's price scale for prices.
-- Account ids are `accounts.id` (the proof-of-reserves user ids).

CREATE TABLE exchange_assets (
  ccy text PRIMARY KEY CHECK (ccy ~ '^[A-Z0-9]{1,20}$'),
  scale smallint NOT NULL CHECK (scale BETWEEN 0 AND 8),
  name text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL
);

-- Per chain: minimum withdrawal and fee in units of the asset.
CREATE TABLE exchange_asset_chains (
  ccy text NOT NULL REFERENCES exchange_assets (ccy),
  chain text NOT NULL CHECK (length(chain) BETWEEN 3 AND 64),
  min_wd numeric(38, 0) NOT NULL CHECK (min_wd >= 0),
  fee numeric(38, 0) NOT NULL CHECK (fee >= 0),
  can_dep boolean NOT NULL,
  can_wd boolean NOT NULL,
  PRIMARY KEY (ccy, chain)
);

-- A price is px units at 10^-px_scale quote per base; sizes are base units.
CREATE TABLE exchange_markets (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  inst_id text NOT NULL UNIQUE,
  base_ccy text NOT NULL REFERENCES exchange_assets (ccy),
  quote_ccy text NOT NULL REFERENCES exchange_assets (ccy),
  px_scale smallint NOT NULL CHECK (px_scale BETWEEN 0 AND 12),
  tick_sz numeric(38, 0) NOT NULL CHECK (tick_sz > 0),
  lot_sz numeric(38, 0) NOT NULL CHECK (lot_sz > 0),
  min_sz numeric(38, 0) NOT NULL CHECK (min_sz > 0 AND min_sz % lot_sz = 0),
  maker_fee_bps integer NOT NULL CHECK (maker_fee_bps BETWEEN 0 AND 10000),
  taker_fee_bps integer NOT NULL CHECK (taker_fee_bps BETWEEN 0 AND 10000),
  state text NOT NULL CHECK (state IN ('live', 'suspend')),
  created_at timestamptz NOT NULL,
  CHECK (base_ccy <> quote_ccy),
  CHECK (inst_id = base_ccy || '-' || quote_ccy)
);

-- Available and frozen (in open orders and pending withdrawals), never negative.
CREATE TABLE exchange_balances (
  account_id bigint NOT NULL REFERENCES accounts (id),
  ccy text NOT NULL REFERENCES exchange_assets (ccy),
  available numeric(38, 0) NOT NULL DEFAULT 0 CHECK (available >= 0),
  frozen numeric(38, 0) NOT NULL DEFAULT 0 CHECK (frozen >= 0),
  updated_at timestamptz,
  PRIMARY KEY (account_id, ccy)
);

-- One row per change of one bucket of one balance, written in the transaction that changes it:
-- per (account, ccy, bucket) the deltas sum to the balance. A freeze is a pair of rows (available
-- down, frozen up), an unfreeze the reverse; a trade debits the payer's frozen bucket and credits
-- the receiver's available one; a fee debits the payer.
CREATE TABLE exchange_journal (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL,
  account_id bigint NOT NULL REFERENCES accounts (id),
  ccy text NOT NULL REFERENCES exchange_assets (ccy),
  bucket text NOT NULL CHECK (bucket IN ('available', 'frozen')),
  delta numeric(38, 0) NOT NULL CHECK (delta <> 0),
  kind text NOT NULL CHECK (kind IN ('deposit', 'trade', 'fee', 'withdrawal', 'freeze', 'unfreeze')),
  ref_type text NOT NULL CHECK (ref_type IN ('deposit', 'order', 'fill', 'withdrawal')),
  ref_id bigint NOT NULL
);
CREATE INDEX exchange_journal_account_idx ON exchange_journal (account_id, ccy, id);

-- sz is base units, or quote units for a market order with tgt_ccy quote_ccy; frozen is what the
-- order still holds of frozen_ccy (released when it ends); acc_fill_value is sum(px * fill size)
-- exactly, at px_scale + base scale, for the average price.
CREATE TABLE exchange_orders (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  market_id bigint NOT NULL REFERENCES exchange_markets (id),
  account_id bigint NOT NULL REFERENCES accounts (id),
  cl_ord_id text CHECK (cl_ord_id ~ '^[A-Za-z0-9]{1,32}$'),
  tag text CHECK (tag ~ '^[A-Za-z0-9]{1,16}$'),
  side text NOT NULL CHECK (side IN ('buy', 'sell')),
  ord_type text NOT NULL CHECK (ord_type IN ('limit', 'market', 'post_only', 'ioc', 'fok')),
  tgt_ccy text NOT NULL CHECK (tgt_ccy IN ('base_ccy', 'quote_ccy')),
  px numeric(38, 0) CHECK (px > 0),
  sz numeric(38, 0) NOT NULL CHECK (sz > 0),
  acc_fill_sz numeric(38, 0) NOT NULL DEFAULT 0 CHECK (acc_fill_sz >= 0),
  acc_fill_quote numeric(38, 0) NOT NULL DEFAULT 0 CHECK (acc_fill_quote >= 0),
  acc_fill_value numeric(60, 0) NOT NULL DEFAULT 0 CHECK (acc_fill_value >= 0),
  fee numeric(38, 0) NOT NULL DEFAULT 0 CHECK (fee >= 0),
  fee_ccy text NOT NULL REFERENCES exchange_assets (ccy),
  frozen_ccy text NOT NULL REFERENCES exchange_assets (ccy),
  frozen numeric(38, 0) NOT NULL DEFAULT 0 CHECK (frozen >= 0),
  state text NOT NULL CHECK (state IN ('live', 'partially_filled', 'filled', 'canceled')),
  cancel_source text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CHECK ((ord_type = 'market') = (px IS NULL)),
  CHECK (state NOT IN ('live', 'partially_filled') OR (ord_type IN ('limit', 'post_only') AND frozen > 0))
);
-- The book: open orders of a market by side and price, oldest first within a price.
CREATE INDEX exchange_orders_book_idx ON exchange_orders (market_id, side, px, id)
  WHERE state IN ('live', 'partially_filled');
CREATE INDEX exchange_orders_account_idx ON exchange_orders (account_id, market_id, id);
CREATE UNIQUE INDEX exchange_orders_open_cl_ord_id_idx ON exchange_orders (account_id, cl_ord_id)
  WHERE cl_ord_id IS NOT NULL AND state IN ('live', 'partially_filled');
CREATE INDEX exchange_orders_cl_ord_id_idx ON exchange_orders (account_id, market_id, cl_ord_id, id)
  WHERE cl_ord_id IS NOT NULL;

-- A fill: the taker's order against one resting maker order, at the maker's price. sz is base
-- units, quote_amt quote units (px * sz truncated to the quote scale, paid and received alike).
CREATE TABLE exchange_fills (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  market_id bigint NOT NULL REFERENCES exchange_markets (id),
  taker_order_id bigint NOT NULL REFERENCES exchange_orders (id),
  maker_order_id bigint NOT NULL REFERENCES exchange_orders (id),
  taker_account_id bigint NOT NULL REFERENCES accounts (id),
  maker_account_id bigint NOT NULL REFERENCES accounts (id),
  taker_side text NOT NULL CHECK (taker_side IN ('buy', 'sell')),
  px numeric(38, 0) NOT NULL CHECK (px > 0),
  sz numeric(38, 0) NOT NULL CHECK (sz > 0),
  quote_amt numeric(38, 0) NOT NULL CHECK (quote_amt >= 0),
  taker_fee numeric(38, 0) NOT NULL CHECK (taker_fee >= 0),
  maker_fee numeric(38, 0) NOT NULL CHECK (maker_fee >= 0),
  at timestamptz NOT NULL
);
CREATE INDEX exchange_fills_market_idx ON exchange_fills (market_id, at, id);
CREATE INDEX exchange_fills_taker_idx ON exchange_fills (taker_account_id, at, id);
CREATE INDEX exchange_fills_maker_idx ON exchange_fills (maker_account_id, at, id);

-- A credited deposit; a deposit with a tx id is credited once.
CREATE TABLE exchange_deposits (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id bigint NOT NULL REFERENCES accounts (id),
  ccy text NOT NULL REFERENCES exchange_assets (ccy),
  chain text,
  amount numeric(38, 0) NOT NULL CHECK (amount > 0),
  tx_id text CHECK (length(tx_id) BETWEEN 1 AND 256),
  at timestamptz NOT NULL,
  UNIQUE (ccy, tx_id)
);
CREATE INDEX exchange_deposits_account_idx ON exchange_deposits (account_id, id);

-- The withdrawal address allow-list: an address can be withdrawn to from usable_at on (the
-- cooling-off, the same whoever added it) until it is removed.
CREATE TABLE exchange_withdrawal_addresses (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id bigint NOT NULL REFERENCES accounts (id),
  ccy text NOT NULL REFERENCES exchange_assets (ccy),
  chain text NOT NULL,
  address text NOT NULL CHECK (length(address) BETWEEN 1 AND 256),
  label text NOT NULL DEFAULT '' CHECK (length(label) <= 64),
  added_by text NOT NULL CHECK (added_by IN ('account', 'operator')),
  created_at timestamptz NOT NULL,
  usable_at timestamptz NOT NULL,
  removed_at timestamptz,
  removed_by text CHECK (removed_by IN ('account', 'operator')),
  FOREIGN KEY (ccy, chain) REFERENCES exchange_asset_chains (ccy, chain)
);
CREATE UNIQUE INDEX exchange_withdrawal_addresses_active_idx
  ON exchange_withdrawal_addresses (account_id, ccy, chain, address) WHERE removed_at IS NULL;

CREATE TABLE exchange_withdrawals (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id bigint NOT NULL REFERENCES accounts (id),
  ccy text NOT NULL,
  chain text NOT NULL,
  address_id bigint NOT NULL REFERENCES exchange_withdrawal_addresses (id),
  to_addr text NOT NULL,
  amount numeric(38, 0) NOT NULL CHECK (amount > 0),
  fee numeric(38, 0) NOT NULL CHECK (fee >= 0),
  state text NOT NULL CHECK (state IN ('pending', 'completed', 'failed')),
  tx_id text,
  reason text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  FOREIGN KEY (ccy, chain) REFERENCES exchange_asset_chains (ccy, chain)
);
CREATE INDEX exchange_withdrawals_account_idx ON exchange_withdrawals (account_id, id);
CREATE INDEX exchange_withdrawals_to_addr_idx ON exchange_withdrawals (account_id, to_addr) WHERE state = 'completed';

-- Accounts whose withdrawals are frozen (by an operator or the anti-fraud engine).
CREATE TABLE exchange_withdrawal_freezes (
  account_id bigint PRIMARY KEY REFERENCES accounts (id),
  reason text NOT NULL,
  actor text NOT NULL,
  frozen_at timestamptz NOT NULL
);

-- Who changed the allow-list and the withdrawal freezes, and when.
CREATE TABLE exchange_ledger_audit (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL,
  account_id bigint NOT NULL REFERENCES accounts (id),
  actor text NOT NULL CHECK (actor IN ('account', 'operator', 'system')),
  action text NOT NULL,
  details jsonb NOT NULL
);
CREATE INDEX exchange_ledger_audit_account_idx ON exchange_ledger_audit (account_id, id);
