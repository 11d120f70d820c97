import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { HDKey } from '@scure/bip32';
import fc from 'fast-check';
import { getAddress } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { decodePoint, modQ, mulG, pointToHex, q, randomScalar, scalarToHex } from './curve.js';
import {
  base58checkDecode,
  base58checkEncode,
  base58Decode,
  base58Encode,
  decodeExtendedKey,
  derivePublic,
  type ExtendedPublicKey,
  HARDENED_OFFSET,
  parseDerivationPath,
  serializeXpub,
  tweakAdditiveShare,
  XPUB_VERSION,
} from './derivation.js';
import { evmAddress } from './device/wallet.js';
import { runDkgInMemory } from './protocol/dkg.js';
import { lagrangeCoefficient } from './shamir.js';
import { mpcFailure } from './testing/errors.js';

function expectMpcError(fn: () => unknown, code: string, check: string): void {
  expect(mpcFailure(fn)).toEqual({ code, check });
}

/** An xpub string as the ExtendedPublicKey our functions take. */
function fromXpub(xpub: string): ExtendedPublicKey {
  const d = decodeExtendedKey(xpub);
  expect(d.version).toBe(XPUB_VERSION);
  return {
    publicKey: pointToHex(decodePoint(d.keyData, 'keyData')),
    chainCode: bytesToHex(d.chainCode),
    depth: d.depth,
    parentFingerprint: d.parentFingerprint,
    index: d.index,
  };
}

// BIP-32 test vectors (bitcoin/bips bip-0032.mediawiki), their non-hardened steps.
const VECTORS = [
  {
    name: 'vector 1, m/0H → m/0H/1',
    parent:
      'xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw',
    path: 'm/1',
    child:
      'xpub6ASuArnXKPbfEwhqN6e3mwBcDTgzisQN1wXN9BJcM47sSikHjJf3UFHKkNAWbWMiGj7Wf5uMash7SyYq527Hqck2AxYysAA7xmALppuCkwQ',
  },
  {
    name: 'vector 1, m/0H/1/2H → m/0H/1/2H/2',
    parent:
      'xpub6D4BDPcP2GT577Vvch3R8wDkScZWzQzMMUm3PWbmWvVJrZwQY4VUNgqFJPMM3No2dFDFGTsxxpG5uJh7n7epu4trkrX7x7DogT5Uv6fcLW5',
    path: 'm/2',
    child:
      'xpub6FHa3pjLCk84BayeJxFW2SP4XRrFd1JYnxeLeU8EqN3vDfZmbqBqaGJAyiLjTAwm6ZLRQUMv1ZACTj37sR62cfN7fe5JnJ7dh8zL4fiyLHV',
  },
  {
    name: 'vector 2, m → m/0',
    parent:
      'xpub661MyMwAqRbcFW31YEwpkMuc5THy2PSt5bDMsktWQcFF8syAmRUapSCGu8ED9W6oDMSgv6Zz8idoc4a6mr8BDzTJY47LJhkJ8UB7WEGuduB',
    path: 'm/0',
    child:
      'xpub69H7F5d8KSRgmmdJg2KhpAK8SR3DjMwAdkxj3ZuxV27CprR9LgpeyGmXUbC6wb7ERfvrnKZjXoUmmDznezpbZb7ap6r1D3tgFxHmwMkQTPH',
  },
];

describe('BIP-32 public derivation', () => {
  for (const v of VECTORS) {
    it(`matches BIP-32 test ${v.name}`, () => {
      const parent = fromXpub(v.parent);
      expect(serializeXpub(parent)).toBe(v.parent);
      expect(serializeXpub(derivePublic(parent, v.path).key)).toBe(v.child);
    });
  }

  it('matches @scure/bip32: child public key = ours, x + δ = its child private key', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: q - 1n }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(fc.integer({ min: 0, max: HARDENED_OFFSET - 1 }), { minLength: 0, maxLength: 4 }),
        (x, chainCode, path) => {
          const pathText = ['m', ...path].join('/');
          const reference = new HDKey({ privateKey: hexToBytes(scalarToHex(x)), chainCode }).derive(pathText);
          const ours = derivePublic({ publicKey: pointToHex(mulG(x)), chainCode: bytesToHex(chainCode) }, path);
          expect(ours.key.publicKey).toBe(bytesToHex(reference.publicKey as Uint8Array));
          expect(ours.key.chainCode).toBe(bytesToHex(reference.chainCode as Uint8Array));
          expect(scalarToHex(modQ(x + ours.tweak))).toBe(bytesToHex(reference.privateKey as Uint8Array));
          expect(serializeXpub(ours.key)).toBe(reference.publicExtendedKey);
        },
      ),
      { numRuns: 12 },
    );
  });

  it("m/0/7 from scure's xpub equals ours, and string and number paths agree", () => {
    const x = randomScalar();
    const chainCode = crypto.getRandomValues(new Uint8Array(32));
    const root = new HDKey({ privateKey: hexToBytes(scalarToHex(x)), chainCode });
    const fromXpubKey = HDKey.fromExtendedKey(root.publicExtendedKey).derive('m/0/7');
    const ours = derivePublic({ publicKey: pointToHex(mulG(x)), chainCode: bytesToHex(chainCode) }, 'm/0/7');
    expect(ours.key.publicKey).toBe(bytesToHex(fromXpubKey.publicKey as Uint8Array));
    expect(derivePublic({ publicKey: pointToHex(mulG(x)), chainCode: bytesToHex(chainCode) }, [0, 7])).toEqual(ours);
  });

  it('threshold signing: the device adds δ to its additive share, the server does not; they sum to the child key', () => {
    const [server, device] = runDkgInMemory();
    if (!server || !device) throw new Error('dkg');
    const derived = derivePublic({ publicKey: server.publicKey, chainCode: server.chainCode }, 'm/0/7');
    const x1 = modQ(lagrangeCoefficient(1, [1, 2]) * BigInt(`0x${server.share}`));
    const x2 = tweakAdditiveShare(modQ(lagrangeCoefficient(2, [1, 2]) * BigInt(`0x${device.share}`)), derived.tweak);
    expect(pointToHex(mulG(x1 + x2))).toBe(derived.key.publicKey);
    // The server recomputes δ from public data alone.
    expect(derivePublic({ publicKey: device.publicKey, chainCode: device.chainCode }, [0, 7]).tweak).toBe(
      derived.tweak,
    );
  });

  it('refuses hardened steps and malformed paths', () => {
    const pk = pointToHex(mulG(5n));
    const cc = '11'.repeat(32);
    for (const path of ["m/0'", 'm/0h/1', 'm/1/2H', [HARDENED_OFFSET], [1, 0xffffffff]]) {
      expectMpcError(
        () => derivePublic({ publicKey: pk, chainCode: cc }, path),
        'MPC_INVALID_MESSAGE',
        'derivation.hardened',
      );
    }
    for (const path of ['0/1', 'm/01', 'm/-1', 'm//1', 'm/1.5', 'm/99999999999', [1.5], [-1], [2 ** 32]]) {
      expectMpcError(() => parseDerivationPath(path), 'MPC_INVALID_MESSAGE', 'derivation.path');
    }
    expect(parseDerivationPath('m')).toEqual([]);
    expect(parseDerivationPath('m/0/2147483647')).toEqual([0, 2147483647]);
  });
});

describe('Base58Check', () => {
  it('known answers and leading zeros', () => {
    expect(base58Encode(new TextEncoder().encode('Hello World!'))).toBe('2NEpo7TZRRrLZSi2U');
    expect(base58Encode(Uint8Array.of(0, 0, 1))).toBe('112');
    expect(base58Decode('112')).toEqual(Uint8Array.of(0, 0, 1));
    expect(base58Encode(new Uint8Array(0))).toBe('');
    const payload = crypto.getRandomValues(new Uint8Array(40));
    expect(base58checkDecode(base58checkEncode(payload))).toEqual(payload);
  });

  it('refuses a bad checksum, characters outside the alphabet and short input', () => {
    const xpub = VECTORS[0]?.child as string;
    const flipped = `${xpub.slice(0, 20)}${xpub[20] === 'a' ? 'b' : 'a'}${xpub.slice(21)}`;
    expectMpcError(() => decodeExtendedKey(flipped), 'MPC_INVALID_MESSAGE', 'base58.checksum');
    expectMpcError(() => decodeExtendedKey(`0${xpub.slice(1)}`), 'MPC_INVALID_MESSAGE', 'base58.alphabet');
    expectMpcError(() => base58checkDecode('11'), 'MPC_INVALID_MESSAGE', 'base58.length');
    expectMpcError(
      () => decodeExtendedKey(base58checkEncode(new Uint8Array(77))),
      'MPC_INVALID_MESSAGE',
      'xkey.length',
    );
  });
});

describe('EVM addresses', () => {
  it('evmAddress is the EIP-55 checksummed address viem derives from the same private key (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: q - 1n }), (k) => {
        const address = evmAddress(pointToHex(mulG(k)));
        expect(address).toBe(privateKeyToAccount(`0x${scalarToHex(k)}`).address);
        expect(getAddress(address)).toBe(address);
      }),
      { numRuns: 50 },
    );
  });
});
