import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Arithmetic } from './arith/backend.js';
import { createBigIntArithmetic } from './arith/bigint.js';
import { mod, modInverse } from './arith/modular.js';
import { MpcError } from './errors.js';
import { createNodeArithmetic } from './node/arith.js';
import {
  addCiphertexts,
  assertCiphertext,
  decrypt,
  decryptSigned,
  decryptWithoutCrt,
  encrypt,
  generatePaillierKey,
  paillierPublicKey,
  paillierSecretKeyFromPrimes,
  publicKeyFromJson,
  publicKeyToJson,
  scaleCiphertext,
  secretKeyFromJson,
  secretKeyToJson,
} from './paillier.js';
import { queuedPrimes } from './testing/fixtures.js';
import { TEST_BLUM_PRIMES, TEST_SAFE_PRIMES } from './testing/primes.js';

const bigint = createBigIntArithmetic();
const openssl = createNodeArithmetic();
const [p, q, p3] = TEST_BLUM_PRIMES as [bigint, bigint, bigint];
const sk = paillierSecretKeyFromPrimes(p, q);
const pk = sk.publicKey;
const { N, N2 } = pk;

function caught(fn: () => unknown): MpcError {
  try {
    fn();
  } catch (error) {
    if (error instanceof MpcError) return error;
    throw error;
  }
  throw new Error('expected an MpcError');
}

const plaintext = fc.bigInt({ min: -(1n << 2100n), max: 1n << 2100n });

describe('paillierPublicKey (modulus validation)', () => {
  it('accepts a product of two fixture Blum primes', () => {
    expect(paillierPublicKey(N)).toEqual({ N, N2 });
  });

  it.each([
    ['paillier.size', N >> 1n],
    ['paillier.size', N * 3n],
    ['paillier.even', N + 1n],
    ['paillier.perfect-power', p * p],
    ['paillier.perfect-power', (TEST_SAFE_PRIMES[0] as bigint) ** 2n],
  ])('refuses with %s', (check, modulus) => {
    const e = caught(() => paillierPublicKey(modulus));
    expect(e.code).toBe('MPC_PAILLIER_MODULUS_INVALID');
    expect(e.check).toBe(check);
  });

  it('refuses a 2048-bit prime with paillier.prime', () => {
    // search a 2048-bit prime close to N (deterministic start, ~1400 candidates expected)
    let c = N | 1n;
    while (!openssl.isProbablePrime(c)) c += 2n;
    const e = caught(() => paillierPublicKey(c));
    expect(e.code).toBe('MPC_PAILLIER_MODULUS_INVALID');
    expect(e.check).toBe('paillier.prime');
  });
});

describe('paillierSecretKeyFromPrimes', () => {
  it('refuses equal, non-Blum or wrongly sized primes without printing them', () => {
    for (const [a, b] of [
      [p, p],
      [p, q + 2n], // ≡ 1 mod 4
      [p, q >> 1n],
    ] as const) {
      const e = caught(() => paillierSecretKeyFromPrimes(a, b));
      expect(e.code).toBe('MPC_PAILLIER_MODULUS_INVALID');
      expect(e.check).toBe('paillier.secret');
      expect(e.message).not.toContain(a.toString(16));
      expect(e.message).not.toContain(a.toString());
    }
  });

  it('precomputes the CRT constants of Paillier 1999 §7', () => {
    // h_p = L_p(g^(p−1) mod p²)^-1 with g = 1 + N equals (−q)^-1 mod p
    expect(sk.hp).toBe(modInverse(-q, p));
    expect(sk.hq).toBe(modInverse(-p, q));
  });
});

describe.each([
  ['bigint', bigint],
  ['openssl', openssl],
] as const)('encryption with the %s backend', (_, arith: Arithmetic) => {
  it('round-trips and CRT decryption equals the λ form (property)', () => {
    fc.assert(
      fc.property(plaintext, (m) => {
        const { c } = encrypt(arith, pk, m);
        const expected = mod(m, N);
        expect(decrypt(arith, sk, c)).toBe(expected);
        expect(decryptWithoutCrt(arith, sk, c)).toBe(expected);
      }),
      { numRuns: 4 },
    );
  });

  it('is additively homomorphic (property)', () => {
    fc.assert(
      fc.property(plaintext, plaintext, fc.bigInt({ min: -(1n << 300n), max: 1n << 300n }), (a, b, k) => {
        const ca = encrypt(arith, pk, a).c;
        const cb = encrypt(arith, pk, b).c;
        expect(decrypt(arith, sk, addCiphertexts(pk, ca, cb))).toBe(mod(a + b, N));
        expect(decrypt(arith, sk, scaleCiphertext(arith, pk, ca, k))).toBe(mod(a * k, N));
      }),
      { numRuns: 4 },
    );
  });

  it('decryptSigned returns values in (−N/2, N/2]', () => {
    for (const m of [0n, 1n, -1n, (N - 1n) / 2n, -((N - 1n) / 2n), -(1n << 1000n)]) {
      expect(decryptSigned(arith, sk, encrypt(arith, pk, m).c)).toBe(m);
    }
  });
});

describe('cross-backend and reference checks', () => {
  it('both backends produce the same ciphertext for the same randomness and it matches the naive formula', () => {
    const m = 0x1234567890abcdefn;
    const r = 0xfedcba987654321n;
    const a = encrypt(bigint, pk, m, r);
    const b = encrypt(openssl, pk, m, r);
    expect(a).toEqual(b);
    // naive (1+N)^m · r^N mod N² by repeated squaring written out here
    let rn = 1n;
    let base = r;
    for (let e = N; e > 0n; e >>= 1n) {
      if (e & 1n) rn = (rn * base) % N2;
      base = (base * base) % N2;
    }
    expect(a.c).toBe((((1n + m * N) % N2) * rn) % N2);
    expect(decrypt(bigint, sk, a.c)).toBe(decrypt(openssl, sk, a.c));
  });

  it('refuses encryption randomness outside Z*_N', () => {
    expect(caught(() => encrypt(bigint, pk, 1n, 0n)).check).toBe('paillier.randomness');
    expect(caught(() => encrypt(bigint, pk, 1n, p)).check).toBe('paillier.randomness');
    expect(caught(() => encrypt(bigint, pk, 1n, N)).check).toBe('paillier.randomness');
  });
});

describe('assertCiphertext', () => {
  it.each([
    ['ciphertext.range', 0n],
    ['ciphertext.range', -5n],
    ['ciphertext.range', N2],
    ['ciphertext.coprime', p * 12345n],
    ['ciphertext.coprime', N],
  ])('refuses with %s', (check, c) => {
    const e = caught(() => assertCiphertext(pk, c, 'payload.cKey'));
    expect(e.code).toBe('MPC_PAILLIER_CIPHERTEXT_INVALID');
    expect(e.check).toBe(check);
    expect(e.details.field).toBe('payload.cKey');
  });

  it('decrypt validates its input', () => {
    expect(caught(() => decrypt(bigint, sk, p)).check).toBe('ciphertext.coprime');
  });
});

describe('serialization', () => {
  it('round-trips secret and public keys', () => {
    const json = JSON.parse(JSON.stringify(secretKeyToJson(sk)));
    expect(secretKeyFromJson(json)).toEqual(sk);
    expect(publicKeyFromJson(JSON.parse(JSON.stringify(publicKeyToJson(pk))))).toEqual(pk);
  });

  it('refuses malformed or extra fields, naming them', () => {
    const e1 = caught(() => secretKeyFromJson({ p: p.toString(16), q: `0x${q.toString(16)}` }, 'state.paillier'));
    expect(e1.code).toBe('MPC_INVALID_MESSAGE');
    expect(e1.details.field).toBe('state.paillier.q');
    const e2 = caught(() => secretKeyFromJson({ p: p.toString(16), q: q.toString(16), extra: '1' }));
    expect(e2.details.field).toBe('paillierSecretKey.extra');
    const e3 = caught(() => publicKeyFromJson({ N: (N + 1n).toString(16) }));
    expect(e3.check).toBe('paillier.even');
    expect(caught(() => publicKeyFromJson('nope')).code).toBe('MPC_INVALID_MESSAGE');
  });
});

describe('generatePaillierKey', () => {
  it('draws two distinct Blum primes and retries on a repeat', async () => {
    const fake = queuedPrimes(bigint, 1024, 'blum', [p, p, q, p3]);
    const key = await generatePaillierKey(fake);
    expect(key.publicKey.N).toBe(q * p3); // (p, p) refused, then (q, p3)
  });

  it('generates a real 2048-bit key with OpenSSL', async () => {
    const key = await generatePaillierKey(openssl);
    expect(key.publicKey.N.toString(2).length).toBe(2048);
    expect(decrypt(openssl, key, encrypt(openssl, key.publicKey, 42n).c)).toBe(42n);
  });
});
