/**
 * The committed JSON Schema of `por-proof/v1` and the code agree: proofs the builder produces
 * validate against it with an independent validator (Ajv, JSON Schema 2020-12), and documents the
 * verifier's parser refuses — an unknown field, a hash in capitals, a balance with a trailing zero
 * or an exponent, a wrong version — are refused by the schema too.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import { buildLiabilitiesTree } from './build.js';
import { RoundReader } from './proof.js';

const schema = JSON.parse(readFileSync(new URL('../schema/por-proof-v1.schema.json', import.meta.url), 'utf8'));
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
const dir = mkdtempSync(join(tmpdir(), 'custos-por-schema-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('por-proof/v1 schema', () => {
  writeFileSync(
    join(dir, 's.csv'),
    'user_id,BTC:8,USDT:6,DOGE:0\nalice,0.5,1200.25,7\nbob,0,0,0\ncarol,3.14159265,1,0\n',
  );
  buildLiabilitiesTree({
    input: join(dir, 's.csv'),
    out: join(dir, 'r'),
    signingSeed: new Uint8Array(32).fill(4),
    roundId: 't',
  });
  const reader = RoundReader.open(join(dir, 'r'));
  const proofs = ['alice', 'bob', 'carol'].map((id) => reader.proof(id));
  reader.close();

  it('every produced proof validates (3 users, 3 assets)', () => {
    for (const proof of proofs) expect(validate(proof), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each([
    ['an unknown field', (p: Record<string, unknown>) => Object.assign(p, { extra: 1 })],
    ['a wrong version', (p: Record<string, unknown>) => Object.assign(p, { version: 'por-proof/v2' })],
    [
      'a hash in capitals',
      (p: Record<string, unknown>) => Object.assign(p, { leaf: (p.leaf as string).toUpperCase() }),
    ],
    [
      'a balance with a trailing zero',
      (p: Record<string, unknown>) => Object.assign(p, { balances: ['0.50', '1', '0'] }),
    ],
    ['a balance with an exponent', (p: Record<string, unknown>) => Object.assign(p, { balances: ['5e-1', '1', '0'] })],
    [
      'a missing path',
      (p: Record<string, unknown>) => {
        delete p.path;
        return p;
      },
    ],
  ])('refuses %s', (_name, change) => {
    const proof = change(structuredClone(proofs[0]) as unknown as Record<string, unknown>);
    expect(validate(proof)).toBe(false);
  });
});
