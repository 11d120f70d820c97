/**
 * Property tests for `decodeTypedDataRequest`: random typed data generated from random type
 * definitions, sent in hostile encodings, must decode to viem's digest of the canonical document;
 * random JSON and random mutations must give a Decoded or RISK_INVALID_REQUEST, never another error.
 */
import fc from 'fast-check';
import { hashTypedData, type TypedDataDefinition, toHex } from 'viem';
import { describe, expect, it } from 'vitest';
import { decodeTyped as decode, json, outcome, RUNS, SIGNER } from '../testing/decode.js';
import { decodeTypedDataRequest, type TypedDataMethod } from './typed-data.js';

// ---------------------------------------------------------------------------------------------
// Properties

const ATOMIC = [
  'address',
  'bool',
  'string',
  'bytes',
  'bytes1',
  'bytes4',
  'bytes32',
  'uint8',
  'uint48',
  'uint256',
  'int8',
  'int256',
];

type Field = { name: string; type: string };
/** Struct S0 … Sn; Si may use Sj only for j > i, so types are acyclic. */
const typesArb = fc.integer({ min: 1, max: 3 }).chain((n) =>
  fc
    .tuple(
      ...Array.from({ length: n }, (_, i) =>
        fc.array(
          fc.record({
            base: fc.oneof(
              fc.constantFrom(...ATOMIC),
              ...(i + 1 < n ? [fc.integer({ min: i + 1, max: n - 1 }).map((j) => `S${j}`)] : []),
            ),
            dims: fc.constantFrom('', '', '', '[]', '[2]', '[][1]'),
          }),
          { minLength: 1, maxLength: 3 },
        ),
      ),
    )
    .map((structs) =>
      Object.fromEntries(
        structs.map((fields, i) => [`S${i}`, fields.map((f, k): Field => ({ name: `f${k}`, type: f.base + f.dims }))]),
      ),
    ),
);

/** A value as `[json, canonical]`: the JSON a dapp may send and the form viem hashes. */
type Pair = [unknown, unknown];

const hex = (bytes: Uint8Array) => toHex(bytes);

function valueArb(types: Record<string, Field[]>, type: string): fc.Arbitrary<Pair> {
  if (type.endsWith(']')) {
    const inner = type.slice(0, type.lastIndexOf('['));
    const fixed = type.endsWith('[2]');
    return fc
      .array(valueArb(types, inner), { minLength: fixed ? 2 : 0, maxLength: 2 })
      .map((items) => [items.map((p) => p[0]), items.map((p) => p[1])]);
  }
  const struct = types[type];
  if (struct !== undefined) {
    return fc
      .tuple(...struct.map((f) => valueArb(types, f.type)))
      .map((pairs) => [
        Object.fromEntries(struct.map((f, i) => [f.name, pairs[i]?.[0]])),
        Object.fromEntries(struct.map((f, i) => [f.name, pairs[i]?.[1]])),
      ]);
  }
  const int = /^(u?)int(\d+)$/.exec(type);
  if (int) {
    const bits = BigInt(int[2] as string);
    const [min, max] = int[1] ? [0n, (1n << bits) - 1n] : [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n];
    return fc.tuple(fc.bigInt({ min, max }), fc.nat(2)).map(([n, style]): Pair => {
      if (style === 1 && n >= 0n) return [`0x${n.toString(16)}`, n];
      if (style === 2 && n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= -BigInt(Number.MAX_SAFE_INTEGER))
        return [Number(n), n];
      return [n.toString(), n];
    });
  }
  const size = /^bytes(\d+)$/.exec(type);
  if (size) {
    const n = Number(size[1]);
    return fc
      .uint8Array({ minLength: n, maxLength: n })
      .map((b): Pair => [hex(b).toUpperCase().replace('0X', '0x'), hex(b)]);
  }
  switch (type) {
    case 'address':
      return fc.tuple(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.nat(2)).map(([b, style]): Pair => {
        const canonical = hex(b);
        if (style === 1) return [canonical.toUpperCase().replace('0X', '0x'), canonical];
        const decimal = BigInt(canonical).toString();
        if (style === 2 && decimal.length !== 40) return [decimal, canonical];
        return [canonical, canonical];
      });
    case 'bool':
      return fc.boolean().map((b): Pair => [b, b]);
    case 'string':
      return fc.string({ maxLength: 12 }).map((s): Pair => [s, s]);
    default:
      return fc.uint8Array({ maxLength: 40 }).map((b): Pair => [hex(b), hex(b)]);
  }
}

const domainArb = fc.record(
  {
    name: fc.string({ maxLength: 8 }).map((s): Pair => [s, s]),
    chainId: fc.integer({ min: 1, max: 1_000_000 }).map((n): Pair => [`0x0${n.toString(16)}`, n]),
    verifyingContract: valueArb({}, 'address'),
    salt: valueArb({}, 'bytes32'),
  },
  { requiredKeys: [] },
);

const documentArb = fc.tuple(typesArb, domainArb, fc.boolean()).chain(([types, domain, declareDomain]) =>
  valueArb(types, 'S0').map(([message, canonical]) => {
    const keys = Object.keys(domain) as (keyof typeof domain)[];
    const order = ['name', 'chainId', 'verifyingContract', 'salt'].filter((k) =>
      keys.includes(k as keyof typeof domain),
    );
    const EIP712Domain = order.map((name) => ({
      name,
      type: { name: 'string', chainId: 'uint256', verifyingContract: 'address', salt: 'bytes32' }[name] as string,
    }));
    const pick = (i: 0 | 1) => Object.fromEntries(order.map((k) => [k, domain[k as keyof typeof domain]?.[i]]));
    const allTypes = declareDomain ? { EIP712Domain, ...types } : types;
    return {
      json: { domain: pick(0), types: allTypes, primaryType: 'S0', message },
      canonical: { domain: pick(1), types: { EIP712Domain, ...types }, primaryType: 'S0', message: canonical },
    };
  }),
);

describe('properties', () => {
  it('random typed data in hostile encodings decodes to viem’s digest of the canonical document', () => {
    fc.assert(
      fc.property(documentArb, ({ json: doc, canonical }) => {
        const decoded = decode(doc);
        expect(decoded.digest).toBe(hashTypedData(canonical as unknown as TypedDataDefinition));
      }),
      // Two full EIP-712 hashes a run: a quarter of the runs keeps the file fast.
      { numRuns: RUNS / 4 },
    );
  });

  it('random JSON, random mutations of typed data: a Decoded or RISK_INVALID_REQUEST, nothing else', () => {
    const mutated = fc.tuple(documentArb, fc.jsonValue(), fc.nat()).map(([{ json: doc }, value, at]) => {
      // Replace one node (chosen by `at`) of the document with a random JSON value.
      const nodes: [Record<string, unknown> | unknown[], string | number][] = [];
      const walk = (node: unknown) => {
        if (node !== null && typeof node === 'object') {
          for (const [k, v] of Object.entries(node)) {
            nodes.push([node as Record<string, unknown>, Array.isArray(node) ? Number(k) : k]);
            walk(v);
          }
        }
      };
      const copy = JSON.parse(json(doc));
      walk(copy);
      const target = nodes[at % Math.max(nodes.length, 1)];
      if (target) (target[0] as Record<string | number, unknown>)[target[1]] = value;
      return copy;
    });
    const methods: TypedDataMethod[] = ['eth_signTypedData_v4', 'eth_signTypedData_v3', 'eth_signTypedData'];
    fc.assert(
      fc.property(
        fc.oneof(mutated, fc.jsonValue(), fc.anything()),
        fc.constantFrom(...methods),
        fc.nat(3),
        (doc, method, shape) => {
          const params = [[SIGNER, doc], [doc, SIGNER], [SIGNER, json(doc)], doc][shape];
          expect(['ok', 'invalid']).toContain(outcome(() => decodeTypedDataRequest(method, params, 1)));
        },
      ),
      { numRuns: RUNS },
    );
  });
});
