-- Address and domain labels: the store is the source of truth; the compiled index each server
-- node builds from it is a read-only copy for the hot path. Labels are about public chains, so
-- their scope does not reference the registered dev chains (scope 0 = every EVM chain).

CREATE TABLE label_sources (
  id text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  title text NOT NULL,
  trust text NOT NULL CHECK (trust IN ('community', 'scraped', 'curated', 'authoritative')),
  license text NOT NULL,
  origin text NOT NULL,
  -- For snapshot lists of one authority (OFAC SDN): labels that only older snapshots carry are
  -- marked delisted.
  authority text,
  as_of date,
  fuzzy_tolerance smallint NOT NULL DEFAULT 0 CHECK (fuzzy_tolerance BETWEEN 0 AND 8),
  imported_at timestamptz NOT NULL DEFAULT now(),
  label_count integer NOT NULL DEFAULT 0,
  domain_count integer NOT NULL DEFAULT 0
);

-- The primary key starts with the address so compiling the index is one ordered index scan.
CREATE TABLE labels (
  address bytea NOT NULL CHECK (octet_length(address) = 20),
  scope bigint NOT NULL CHECK (scope BETWEEN 0 AND 4294967295),
  source text NOT NULL REFERENCES label_sources (id) ON DELETE CASCADE,
  category text NOT NULL CHECK (category ~ '^[a-z0-9][a-z0-9-]{0,31}$'),
  tier text NOT NULL CHECK (tier IN ('allow', 'gray', 'block')),
  name text NOT NULL DEFAULT '',
  first_seen bigint NOT NULL DEFAULT 0 CHECK (first_seen >= 0),
  confidence smallint NOT NULL CHECK (confidence BETWEEN 0 AND 100),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'delisted')),
  PRIMARY KEY (address, scope, source, category)
);
CREATE INDEX labels_source_idx ON labels (source);

CREATE TABLE domain_labels (
  domain text NOT NULL CHECK (domain ~ '^[a-z0-9_.-]{1,253}$'),
  list text NOT NULL CHECK (list IN ('block', 'allow', 'fuzzy')),
  source text NOT NULL REFERENCES label_sources (id) ON DELETE CASCADE,
  name text NOT NULL DEFAULT '',
  PRIMARY KEY (domain, list, source)
);
CREATE INDEX domain_labels_source_idx ON domain_labels (source);

-- Operator overrides beat every source and take effect at once (no recompile).
CREATE TABLE label_overrides (
  address bytea NOT NULL CHECK (octet_length(address) = 20),
  scope bigint NOT NULL CHECK (scope BETWEEN 0 AND 4294967295),
  tier text NOT NULL CHECK (tier IN ('allow', 'gray', 'block')),
  reason text NOT NULL,
  set_by text NOT NULL,
  set_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (address, scope)
);

-- One row: bumped on every import (the compiled index is stale when its generation is older)
-- and on every override change (nodes reload their overlay).
CREATE TABLE label_state (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  generation bigint NOT NULL DEFAULT 0,
  overrides_version bigint NOT NULL DEFAULT 0
);
INSERT INTO label_state DEFAULT VALUES;
