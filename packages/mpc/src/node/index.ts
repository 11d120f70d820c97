/**
 * `@custos/mpc/node`: the pieces of the MPC library that need Node built-ins, starting with the
 * OpenSSL arithmetic backend (node:crypto). Browser and Web Worker code imports `@custos/mpc` only.
 */
export { createNodeArithmetic, type NodeArithmetic, type NodeArithmeticOptions } from './arith.js';
export { FolderBackupStore } from './backup-store.js';
export { createFileDeviceStore, writePrivateFile } from './device-store.js';
