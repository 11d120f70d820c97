/**
 * A prover worker thread (see `pool.ts`): builds the named AIR, proves, answers with the encoded
 * proof; errors go back as their code, message and details, never a stack.
 */
import { parentPort } from 'node:worker_threads';
import { findBaseError } from '@custos/core';
import type { Air, AuxBuilder } from '../air/air.js';
import { encodeProof } from '../encoding.js';
import type { ProofOptions } from '../fri/params.js';
import type { AirReference, WorkerReply } from './pool.js';
import { prove } from './prover.js';

type BuildAir = (name: string, rows: number, publicInputs: readonly number[]) => Air & Partial<AuxBuilder>;
const builders = new Map<string, BuildAir>();

async function builderFor(module: string | undefined): Promise<BuildAir> {
  const key = module ?? '';
  let build = builders.get(key);
  if (build === undefined) {
    if (module === undefined) {
      build = (await import('../examples/registry.js')).exampleAir as BuildAir;
    } else {
      const loaded = (await import(module)) as { buildAir?: BuildAir };
      if (typeof loaded.buildAir !== 'function') throw new Error(`${module} exports no buildAir`);
      build = loaded.buildAir;
    }
    builders.set(key, build);
  }
  return build;
}

const port = parentPort;
if (port === null) throw new Error('the prover worker runs only as a worker thread');
port.on('message', async (request: { id: number; air: AirReference; trace: Uint32Array[]; options?: ProofOptions }) => {
  let reply: WorkerReply;
  try {
    const build = await builderFor(request.air.module);
    const air = build(request.air.name, request.air.rows, request.air.publicInputs);
    const started = performance.now();
    const proof = encodeProof(
      prove({ air, trace: request.trace, ...(request.options ? { options: request.options } : {}) }),
    );
    reply = { id: request.id, ok: true, proof, ms: performance.now() - started };
    port.postMessage(reply, [proof.buffer as ArrayBuffer]);
  } catch (error) {
    const base = findBaseError(error);
    reply = {
      id: request.id,
      ok: false,
      error: base
        ? { code: base.code, message: base.shortMessage, details: base.details }
        : { message: error instanceof Error ? error.message : String(error) },
    };
    port.postMessage(reply);
  }
});
