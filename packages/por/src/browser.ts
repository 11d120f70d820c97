/**
 * The browser entry (`@custos/por/verify`): the inclusion-proof verifier, the root file's checks
 * and the tree's encodings — pure functions with no Node API, the same code the CLI runs, for the
 * console's proof page.
 */
export * from './encoding.js';
export * from './root.js';
export * from './verify.js';
