/**
 * The prover's side of a batch: the solvency AIR's main trace and its statement from the batch's
 * users. The honest builder refuses what the AIR would reject — a balance outside [0, 2^64), a
 * batch too large for its sums, too many users — with POR_INVALID_INPUT and the reason, before any
 * proving starts.
 */
import { BaseError } from '@custos/core';
import { field as F, fillPoseidon2Row, POSEIDON2_RATE, POSEIDON2_ROW } from '@custos/stark';
import { type BatchStatement, BYTE_TABLE, columnsOf, statementError } from './air.js';
import { type LeafShape, leafIv, leafShape, writeLimbs } from './leaf.js';

export interface BatchUser {
  /** The user's salted id hash as 8 field elements (`hashToElements`). */
  readonly id: Uint32Array;
  readonly balances: readonly bigint[];
}

export interface BatchInput {
  readonly assets: number;
  readonly capacity: number;
  readonly batch: number;
  readonly roundTag: Uint32Array;
}

export interface BatchTrace {
  readonly trace: Uint32Array[];
  readonly statement: BatchStatement;
}

/** The honest builder: checks every balance, then lays out the trace. */
export function batchTrace(users: readonly BatchUser[], input: BatchInput): BatchTrace {
  const shape = leafShape(input.assets);
  if (users.length < 1 || users.length > input.capacity) {
    throw new BaseError('POR_INVALID_INPUT', 'a batch holds 1 to capacity users', {
      details: { reason: 'users', users: users.length, capacity: input.capacity },
    });
  }
  const limbs = users.map((u, index) => {
    const out = new Uint32Array(shape.slots);
    try {
      writeLimbs(u.balances, shape, out);
    } catch (error) {
      if (error instanceof BaseError) {
        throw new BaseError('POR_INVALID_INPUT', `${error.shortMessage} (batch ${input.batch}, user ${index})`, {
          details: { ...error.details, batch: input.batch, user: index },
        });
      }
      throw error;
    }
    for (const v of u.id)
      if (!F.isCanonical(v)) throw new BaseError('POR_INVALID_INPUT', 'an id element is not canonical');
    return out;
  });
  const built = traceFromLimbs(
    users.map((u) => u.id),
    limbs,
    input,
  );
  const error = statementError(built.statement);
  if (error !== null) {
    throw new BaseError('POR_INVALID_INPUT', `the batch cannot be proven: ${error}`, { details: { reason: error } });
  }
  return built;
}

/**
 * Lays out the trace of `ids` and their limb vectors (shape.slots limbs each) without judging
 * them — the honest builder checks first; a test's cheating prover calls this directly with limbs
 * no balance has, to show the verifier refusing what follows.
 */
export function traceFromLimbs(
  ids: readonly Uint32Array[],
  limbs: readonly Uint32Array[],
  input: BatchInput,
): BatchTrace {
  const shape: LeafShape = leafShape(input.assets);
  const cols = columnsOf(shape, input.capacity);
  const n = cols.rows;
  const r = shape.rowsPerUser;
  const trace = Array.from({ length: cols.width }, () => new Uint32Array(n));
  const iv = leafIv(shape);
  const gadget = POSEIDON2_ROW.columns;
  const row = new Uint32Array(gadget);
  const state = new Uint32Array(16);
  const leaves = new Uint32Array(8 * input.capacity);
  const limbSums = new Uint32Array(shape.slots);
  const zeroLimbs = new Uint32Array(shape.slots);
  const zeroId = new Uint32Array(8);
  // Rows after the leaf permute zeros; and padding slots are all alike: compute each once.
  const filler = new Uint32Array(gadget);
  fillPoseidon2Row(new Uint32Array(16), filler);
  const padding: Uint32Array[] = [];

  const put = (rowIndex: number, values: Uint32Array) => {
    for (let c = 0; c < gadget; c++) (trace[c] as Uint32Array)[rowIndex] = values[c] as number;
  };
  for (let u = 0; u < input.capacity; u++) {
    const real = u < ids.length;
    const id = real ? (ids[u] as Uint32Array) : zeroId;
    const userLimbs = real ? (limbs[u] as Uint32Array) : zeroLimbs;
    const base = u * r;
    if (!real && padding.length > 0) {
      for (let p = 0; p <= shape.limbRows; p++) put(base + p, padding[p] as Uint32Array);
    } else {
      state.set(id.subarray(0, POSEIDON2_RATE), 0);
      state.set(iv, POSEIDON2_RATE);
      for (let p = 0; p <= shape.limbRows; p++) {
        if (p > 0) state.set(userLimbs.subarray(POSEIDON2_RATE * (p - 1), POSEIDON2_RATE * p), 0);
        const output = fillPoseidon2Row(state, row);
        state.set(output);
        put(base + p, row);
        if (!real) padding.push(row.slice());
      }
    }
    for (let p = shape.limbRows + 1; p < r; p++) put(base + p, filler);
    // The leaf: the rate output of the last limb row.
    const leafRow = base + shape.limbRows;
    for (let i = 0; i < 8; i++) leaves[8 * u + i] = (trace[POSEIDON2_ROW.output + i] as Uint32Array)[leafRow] as number;
    // Bytes of the limb rows' rate elements, and the running sums' increments.
    for (let p = 1; p <= shape.limbRows; p++) {
      for (let c = 0; c < POSEIDON2_RATE; c++) {
        const v = userLimbs[POSEIDON2_RATE * (p - 1) + c] as number;
        (trace[cols.lo(c)] as Uint32Array)[base + p] = v & 0xff;
        (trace[cols.hi(c)] as Uint32Array)[base + p] = Math.floor(v / 256) % F.P;
        const j = POSEIDON2_RATE * (p - 1) + c;
        limbSums[j] = F.add(limbSums[j] as number, v % F.P);
      }
    }
  }
  // Multiplicities of the byte table, on its first period.
  const counts = new Float64Array(Math.max(BYTE_TABLE, 1));
  for (let c = 0; c < POSEIDON2_RATE; c++) {
    for (const column of [trace[cols.lo(c)] as Uint32Array, trace[cols.hi(c)] as Uint32Array]) {
      for (let i = 0; i < n; i++) {
        const v = column[i] as number;
        if (v < BYTE_TABLE) counts[v] = (counts[v] as number) + 1;
      }
    }
  }
  const m = trace[cols.m] as Uint32Array;
  for (let t = 0; t < BYTE_TABLE; t++) m[t] = F.fromInt(counts[t] as number);
  const statement: BatchStatement = {
    assets: input.assets,
    capacity: input.capacity,
    users: ids.length,
    batch: input.batch,
    roundTag: input.roundTag,
    limbSums,
    leaves,
  };
  return { trace, statement };
}
