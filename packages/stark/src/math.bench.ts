/**
 * `npm run bench math`: why the STARK uses BabyBear, measured. A JavaScript number holds 53 bits
 * exactly and `Math.imul` gives the low 32 bits of a product, so a prime below 2^31 multiplies on
 * plain numbers (float quotient, exact 32-bit remainder), while a 64-bit prime needs BigInt or
 * hand-written limbs. The suite times, per run:
 *
 * - a dependent chain of 10^6 multiplications in BabyBear (p = 15·2^27 + 1, field.ts `mul`, the
 *   baseline), in KoalaBear (p = 2^31 − 2^24 + 1, the other 31-bit STARK field, same code as
 *   field.ts), in Goldilocks (p = 2^64 − 2^32 + 1) with BigInt, and in Goldilocks with 32-bit limbs
 *   on numbers;
 * - a chain of 10^6 multiplications in BabyBear's degree-4 extension (ext.ts), the challenge field;
 * - one NTT of a BabyBear column of 2^16 and of 2^20 points, and one LDE of 2^16 points with
 *   blowup 4 (2^18 points out), the prover's bulk work.
 *
 * A chain (each product feeds the next) measures latency, the honest figure for Horner-style
 * loops; the NTT shows the throughput of independent products. `--smoke` shortens the chains to
 * 10^3 and the transforms to 2^8 and 2^10 (LDE 2^8 → 2^10).
 */
import { type BenchSuite, defineBench } from '@custos/core/bench';
import { type Ext, mul as extMul } from './math/ext.js';
import { P as BABYBEAR, mul as bbMul, GENERATOR } from './math/field.js';
import { lde, ntt } from './math/ntt.js';
import { below, rng } from './testing/reference.js';

const smoke = process.argv.includes('--smoke') || process.argv.includes('--smoke-if-ci');
const CHAIN = smoke ? 1_000 : 1_000_000;
const NTT_SMALL = smoke ? 8 : 16;
const NTT_LARGE = smoke ? 10 : 20;
const LDE_LOG = smoke ? 8 : 16;
const LDE_BLOWUP = 2;

// KoalaBear, p = 2^31 − 2^24 + 1 < 2^31: BabyBear's multiplication carries over unchanged (product
// below 2^62, quotient below 2^31, remainder within ±p/2 + 1 after rounding to the nearest). The
// code mirrors field.ts `mul` line for line, so the two cases compare the primes, not the code.
const KOALABEAR = 2 ** 31 - 2 ** 24 + 1;
const KOALABEAR_INV = 1 / KOALABEAR;

function kbMul(a: number, b: number): number {
  const q = (a * b * KOALABEAR_INV + 0.5) | 0;
  const r = (Math.imul(a, b) - Math.imul(q, KOALABEAR)) | 0;
  return r + (KOALABEAR & (r >> 31));
}

// Goldilocks, p = 2^64 − 2^32 + 1.
const GOLDILOCKS = 2n ** 64n - 2n ** 32n + 1n;
const TWO32 = 2 ** 32;
const INV32 = 2 ** -32;

/** The product of the last `glMul` (hi·2^32 + lo): module slots instead of a tuple per call. */
let glHi = 0;
let glLo = 0;

/**
 * Goldilocks multiplication on numbers, operands and result as two 32-bit limbs (hi, lo), all in
 * [0, p). Each 32×32-bit partial product is split exactly: the low half from `Math.imul`, the high
 * half by rounding (fl(a·b) − lo)/2^32 — the double product is off by at most 2^10 and the
 * subtraction by as much again, 2^-21 after the division, so the rounding is exact. The 128-bit
 * product r3·2^96 + r2·2^64 + r1·2^32 + r0 then reduces with 2^64 ≡ 2^32 − 1 and 2^96 ≡ −1
 * (mod p): to r1·2^32 + r0 + r2·(2^32 − 1) − r3, a signed two-limb number folded back into [0, p).
 */
function glMul(ah: number, al: number, bh: number, bl: number): void {
  const l00 = Math.imul(al, bl) >>> 0;
  const h00 = ((al * bl - l00) * INV32 + 0.5) >>> 0;
  const l01 = Math.imul(al, bh) >>> 0;
  const h01 = ((al * bh - l01) * INV32 + 0.5) >>> 0;
  const l10 = Math.imul(ah, bl) >>> 0;
  const h10 = ((ah * bl - l10) * INV32 + 0.5) >>> 0;
  const l11 = Math.imul(ah, bh) >>> 0;
  const h11 = ((ah * bh - l11) * INV32 + 0.5) >>> 0;
  // Column sums stay below 3·2^32, exact in a double; `>>> 0` takes them mod 2^32.
  const t1 = h00 + l01 + l10;
  const r1 = t1 >>> 0;
  const t2 = h01 + h10 + l11 + (t1 - r1) * INV32;
  const r2 = t2 >>> 0;
  const r3 = h11 + (t2 - r2) * INV32;
  // value ≡ hi·2^32 + lo with lo = r0 − r2 − r3 ∈ (−2^33, 2^32), hi = r1 + r2 ∈ [0, 2^33 − 2].
  let lo = l00 - r2 - r3;
  let hi = r1 + r2;
  // Carries by floor rather than by branches (their direction is data-dependent, so a branch would
  // mispredict): first lo into [0, 2^32), leaving hi ∈ [−2, 2^33 − 2]; then hi's own overflow
  // k ∈ {−1, 0, 1} folds back as k·2^64 ≡ k·(2^32 − 1); then lo once more. That leaves
  // 0 ≤ value < 2^64.
  let c = Math.floor(lo * INV32);
  lo -= c * TWO32;
  hi += c;
  const k = Math.floor(hi * INV32);
  hi += k - k * TWO32;
  lo -= k;
  c = Math.floor(lo * INV32);
  lo -= c * TWO32;
  hi += c;
  // value < 2^64 < 2p: at most one subtraction of p, which leaves lo − 1 (taken with odds ~2^-32).
  if (hi === TWO32 - 1 && lo >= 1) {
    hi = 0;
    lo -= 1;
  }
  glHi = hi;
  glLo = lo;
}

function randomGoldilocks(next: () => number): bigint {
  for (;;) {
    const v = (BigInt(next()) << 32n) | BigInt(next());
    if (v < GOLDILOCKS) return v;
  }
}

/** Throws unless the limb multiplication agrees with BigInt on edge values and random pairs. */
function checkGlMul(): void {
  const next = rng(64);
  const edges = [0n, 1n, 2n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 32n + 1n, 2n ** 63n, GOLDILOCKS - 1n, GOLDILOCKS - 2n];
  edges.push(GOLDILOCKS - 2n ** 32n, (GOLDILOCKS - 1n) / 2n, (GOLDILOCKS + 1n) / 2n, 2n ** 64n - 2n ** 33n);
  const pairs: [bigint, bigint][] = [];
  for (const a of edges) for (const b of edges) pairs.push([a, b]);
  for (let i = 0; i < 20_000; i++) pairs.push([randomGoldilocks(next), randomGoldilocks(next)]);
  for (const [a, b] of pairs) {
    glMul(Number(a >> 32n), Number(a & 0xffffffffn), Number(b >> 32n), Number(b & 0xffffffffn));
    const got = (BigInt(glHi) << 32n) + BigInt(glLo);
    if (got !== (a * b) % GOLDILOCKS || glLo >= TWO32 || glLo < 0 || !Number.isInteger(glLo)) {
      throw new Error(`Goldilocks limb mul(${a}, ${b}) = ${got}, want ${(a * b) % GOLDILOCKS}`);
    }
  }
}

/** Throws unless a 31-bit field's multiplication agrees with BigInt on edge values and random pairs. */
function checkSmallMul(mul: (a: number, b: number) => number, p: number, seed: number): void {
  const next = rng(seed);
  const pb = BigInt(p);
  const edges = [0, 1, 2, p - 1, p - 2, (p - 1) / 2, (p + 1) / 2, 2 ** 30];
  const pairs: [number, number][] = [];
  for (const a of edges) for (const b of edges) pairs.push([a, b]);
  for (let i = 0; i < 20_000; i++) pairs.push([below(p, next), below(p, next)]);
  for (const [a, b] of pairs) {
    if (mul(a, b) !== Number((BigInt(a) * BigInt(b)) % pb)) throw new Error(`mul(${a}, ${b}) mod ${p} is wrong`);
  }
}

function column(log: number, seed: number): Uint32Array {
  const next = rng(seed);
  return Uint32Array.from({ length: 1 << log }, () => below(BABYBEAR, next));
}

const suite = defineBench({
  name: 'math',
  description:
    `Why BabyBear: per run, a dependent chain of ${CHAIN.toLocaleString('en')} multiplications in BabyBear ` +
    '(field.ts, baseline), KoalaBear, Goldilocks with BigInt and with 32-bit limbs on numbers, ' +
    'and BabyBear^4 (ext.ts); ' +
    `one NTT of a BabyBear column of 2^${NTT_SMALL} and 2^${NTT_LARGE} points; one LDE of 2^${LDE_LOG} points ` +
    `with blowup ${2 ** LDE_BLOWUP}. Ratios are to ${CHAIN.toLocaleString('en')} BabyBear multiplications.`,
  baseline: 'BabyBear mul chain',
  size: { full: 1, smoke: 1 },
  unit: 'run',
  samples: { warmups: 2, min: 10, budgetMs: 3000 },
  cases: [
    {
      name: 'BabyBear mul chain',
      setup: () => {
        const next = rng(1);
        return [below(BABYBEAR, next), below(BABYBEAR, next)] as const;
      },
      run: ([x0, y]: readonly [number, number]) => {
        let x = x0;
        for (let i = 0; i < CHAIN; i++) x = bbMul(x, y);
        return x;
      },
    },
    {
      name: 'KoalaBear mul chain',
      setup: () => {
        checkSmallMul(kbMul, KOALABEAR, 31);
        const next = rng(2);
        return [below(KOALABEAR, next), below(KOALABEAR, next)] as const;
      },
      run: ([x0, y]: readonly [number, number]) => {
        let x = x0;
        for (let i = 0; i < CHAIN; i++) x = kbMul(x, y);
        return x;
      },
    },
    {
      name: 'Goldilocks mul chain (BigInt)',
      setup: () => {
        const next = rng(3);
        return [randomGoldilocks(next), randomGoldilocks(next)] as const;
      },
      run: ([x0, y]: readonly [bigint, bigint]) => {
        let x = x0;
        for (let i = 0; i < CHAIN; i++) x = (x * y) % GOLDILOCKS;
        return x;
      },
    },
    {
      name: 'Goldilocks mul chain (limbs)',
      setup: () => {
        checkGlMul();
        const next = rng(3);
        const a = randomGoldilocks(next);
        const b = randomGoldilocks(next);
        const limbs = (v: bigint) => [Number(v >> 32n), Number(v & 0xffffffffn)] as const;
        return { x: limbs(a), y: limbs(b), expected: (a * modPowBig(b, BigInt(CHAIN))) % GOLDILOCKS };
      },
      run: (s: { x: readonly [number, number]; y: readonly [number, number]; expected: bigint }) => {
        let xh = s.x[0];
        let xl = s.x[1];
        const [yh, yl] = s.y;
        for (let i = 0; i < CHAIN; i++) {
          glMul(xh, xl, yh, yl);
          xh = glHi;
          xl = glLo;
        }
        // The whole chain checked once more against BigInt (cheap next to the chain itself).
        if ((BigInt(xh) << 32n) + BigInt(xl) !== s.expected) throw new Error('Goldilocks limb chain diverged');
        return xl;
      },
    },
    {
      name: 'BabyBear^4 mul chain (ext)',
      setup: () => {
        const next = rng(5);
        const el = (): Ext => [
          below(BABYBEAR, next),
          below(BABYBEAR, next),
          below(BABYBEAR, next),
          below(BABYBEAR, next),
        ];
        return [el(), el()] as const;
      },
      run: ([x0, y]: readonly [Ext, Ext]) => {
        let x = x0;
        for (let i = 0; i < CHAIN; i++) x = extMul(x, y);
        return x;
      },
    },
    {
      name: `NTT 2^${NTT_SMALL}`,
      setup: () => column(NTT_SMALL, 6),
      // Transforming the previous output again keeps the data random-looking and the run allocation-free.
      run: (v: Uint32Array) => ntt(v),
    },
    {
      name: `NTT 2^${NTT_LARGE}`,
      setup: () => column(NTT_LARGE, 7),
      run: (v: Uint32Array) => ntt(v),
    },
    {
      name: `LDE 2^${LDE_LOG} x${2 ** LDE_BLOWUP}`,
      setup: () => column(LDE_LOG, 8),
      run: (v: Uint32Array) => lde(v, LDE_BLOWUP, GENERATOR),
    },
  ],
});

function modPowBig(base: bigint, e: bigint): bigint {
  let result = 1n;
  let b = base % GOLDILOCKS;
  let n = e;
  while (n > 0n) {
    if (n & 1n) result = (result * b) % GOLDILOCKS;
    b = (b * b) % GOLDILOCKS;
    n >>= 1n;
  }
  return result;
}

export default [suite] satisfies BenchSuite[];
