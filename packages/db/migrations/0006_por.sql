-- Proof-of-reserves rounds the operator published. dir: the round directory on the server's disk
-- (root.json, tree/, the private build.json the proofs need); root: the signed root file as
-- published; reserves: the reserves table, when one was given. The latest round is the one
-- published last.
CREATE TABLE por_rounds (
  round_id text PRIMARY KEY,
  dir text NOT NULL,
  root jsonb NOT NULL,
  reserves jsonb,
  published_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX por_rounds_published_idx ON por_rounds (published_at DESC);
