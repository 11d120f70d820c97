// The keyless wallet's costs in process: key generation + pairing (prime generation included) and
// a full Lindell17 signature (presign + online, the device's proof included), on the OpenSSL and
// the pure BigInt arithmetic, with the online step and presigning also reported apart. The
// baseline is a single-party @noble/curves secp256k1 signature in the same run. Signing over
// loopback HTTP is in apps/server (mpc-http bench).

import { defineBench } from '@custos/core/bench';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { Arithmetic } from './arith/backend.js';
import { createBigIntArithmetic } from './arith/bigint.js';
import { createNodeArithmetic } from './node/arith.js';
import { type KeyShare, runDkgInMemory } from './protocol/dkg.js';
import {
  type DevicePairing,
  deviceCompletePairing,
  devicePairingRound1,
  devicePairingStart,
  prepareDeviceSetup,
  type ServerPairing,
  serverCompletePairing,
  serverPairingRound2,
  serverPairingStart,
} from './protocol/pairing.js';
import {
  type DevicePresignature,
  devicePresign,
  deviceSign,
  deviceSignRound2,
  deviceSignStart,
  type ServerPresignature,
  serverSign,
  serverSignRound1,
  serverSignRound3,
} from './protocol/sign.js';

const wire = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

interface Pair {
  arith: Arithmetic;
  server: ServerPairing;
  device: DevicePairing;
}

async function keygenAndPair(arith: Arithmetic): Promise<Pair> {
  const keys: KeyShare[] = runDkgInMemory();
  const [k1, k2] = [keys.find((k) => k.partyId === 1), keys.find((k) => k.partyId === 2)];
  if (!k1 || !k2) throw new Error('DKG did not produce shares 1 and 2');
  const setup = await prepareDeviceSetup(arith);
  const d0 = devicePairingStart(k2, setup);
  const s0 = serverPairingStart(k1, wire(d0.request));
  const d1 = devicePairingRound1(arith, d0.state, wire(s0.response));
  const s2 = await serverPairingRound2(arith, s0.state, wire(d1.message));
  const d3 = deviceCompletePairing(arith, d1.state, wire(s2.message));
  return { arith, server: serverCompletePairing(s2.state, wire(d3.message)), device: d3.pairing };
}

function presign(p: Pair): { server: ServerPresignature; device: DevicePresignature } {
  const start = deviceSignStart(p.device);
  const r1 = serverSignRound1(p.server, wire(start.request));
  const r2 = deviceSignRound2(start.state, wire(r1.message));
  const r3 = serverSignRound3(p.server, r1.state, wire(r2.message));
  if (!r3.ok) throw r3.error;
  return { server: r3.presignature, device: devicePresign(p.arith, p.device, r2.state, wire(r3.message)) };
}

function online(p: Pair, pre: { server: ServerPresignature; device: DevicePresignature }, digest: Uint8Array) {
  const d = deviceSign(p.arith, p.device, pre.device, digest);
  const outcome = serverSign(p.arith, p.server, pre.server, digest, wire(d.message));
  if (!outcome.ok) throw outcome.error;
  return outcome.signature;
}

const SMOKE = process.argv.includes('--smoke') || process.argv.includes('--smoke-if-ci');
const digest = () => crypto.getRandomValues(new Uint8Array(32));
const openssl = () => createNodeArithmetic();
const bigint = () => createBigIntArithmetic();

function signingCases(label: string, makeArith: () => Arithmetic, poolSize: number) {
  return [
    {
      name: `lindell17 ${label}`,
      setup: () => keygenAndPair(makeArith()),
      run: (p: Pair) => online(p, presign(p), digest()),
    },
    {
      name: `presign ${label}`,
      setup: () => keygenAndPair(makeArith()),
      run: (p: Pair) => presign(p),
    },
    {
      name: `online ${label}`,
      // Presignatures are made in setup, outside the timed section; each run consumes one. The
      // pool covers the runner's sample cap, so no run ever presigns.
      setup: async () => {
        const p = await keygenAndPair(makeArith());
        const pool = Array.from({ length: SMOKE ? 3 : poolSize }, () => presign(p));
        return { p, pool };
      },
      run: (s: { p: Pair; pool: ReturnType<typeof presign>[] }) => {
        const pre = s.pool.pop();
        if (pre === undefined) throw new Error('presignature pool exhausted: raise the pool size');
        return online(s.p, pre, digest());
      },
    },
  ];
}

const sign = defineBench({
  name: 'mpc-sign',
  description: 'one 2-of-3 wallet signature in process: Lindell17 presign + online incl. the device proof',
  baseline: 'noble secp256k1 sign',
  size: { full: 1, smoke: 1 },
  unit: 'signature',
  cases: [
    {
      name: 'noble secp256k1 sign',
      setup: () => secp256k1.utils.randomSecretKey(),
      run: (key: Uint8Array) => secp256k1.sign(digest(), key, { prehash: false }),
    },
    ...signingCases('openssl', openssl, 210),
    ...signingCases('bigint', bigint, 120),
  ],
});

const keygen = defineBench({
  name: 'mpc-keygen',
  description: 'wallet key generation in process: DKG + Lindell17 pairing, prime generation included',
  baseline: 'noble secp256k1 keygen',
  size: { full: 1, smoke: 1 },
  unit: 'wallet',
  // Prime generation varies widely: ten runs each, no time budget.
  samples: { warmups: 1, min: 10, budgetMs: 0 },
  cases: [
    {
      name: 'noble secp256k1 keygen',
      run: () => secp256k1.getPublicKey(secp256k1.utils.randomSecretKey()),
    },
    { name: 'dkg + pairing openssl', setup: openssl, run: (a: Arithmetic) => keygenAndPair(a) },
    { name: 'dkg + pairing bigint', setup: bigint, run: (a: Arithmetic) => keygenAndPair(a) },
  ],
});

export default [sign, keygen];
