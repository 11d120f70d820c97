/**
 * The browser entry (`@custos/por/verify`): the inclusion-proof verifiers (`por-proof/v1` against
 * the signed root; `por-proof/v2` against a zero-knowledge round's statement), the root file's
 * checks, the zero-knowledge round's batch verifier and the tree's encodings — pure functions with
 * no Node API, the same code the CLI runs, for the console's proof page and the publication page.
 * The zero-knowledge prover (`zk/prove.ts`, `zk/trace.ts`) is not reachable from here.
 */
export * from './encoding.js';
export * from './root.js';
export * from './verify.js';
export * from './zk/air.js';
export * from './zk/leaf.js';
export * from './zk/round.js';
