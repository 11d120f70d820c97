import { bytesToHex } from '@noble/hashes/utils.js';
import { HDKey } from '@scure/bip32';
import { describe, expect, it } from 'vitest';
import { decodePoint, modQ, mulG, pointToHex, scalarToHex } from './curve.js';
import { decodeExtendedKey, derivePublic, type ExtendedPublicKey } from './derivation.js';
import { childPrivateKey, escapeKey, reconstructPrivateKey, serializeXprv } from './escape.js';
import { type KeyShare, runDkgInMemory } from './protocol/dkg.js';
import type { PartyId } from './protocol/envelope.js';
import { runRefreshInMemory } from './protocol/refresh.js';
import { mpcFailure } from './testing/errors.js';

function expectMpcError(fn: () => unknown, code: string, check: string): void {
  expect(mpcFailure(fn)).toEqual({ code, check });
}

const byParty = (shares: readonly KeyShare[], id: PartyId) => shares.find((s) => s.partyId === id) as KeyShare;
const input = (a: KeyShare, b: KeyShare) => ({
  shares: [
    { partyId: a.partyId, share: a.share },
    { partyId: b.partyId, share: b.share },
  ] as const,
  publicKey: a.publicKey,
  chainCode: a.chainCode,
});

describe('emergency escape', () => {
  const wallet = runDkgInMemory();
  const device = byParty(wallet, 2);
  const cloud = byParty(wallet, 3);

  it('device + cloud share rebuild x; the xprv is standard BIP-32 (@scure/bip32 reads it and derives the same children)', () => {
    const escaped = escapeKey(input(device, cloud));
    const x = BigInt(`0x${escaped.privateKey}`);
    expect(pointToHex(mulG(x))).toBe(wallet[0]?.publicKey);
    const hd = HDKey.fromExtendedKey(escaped.xprv);
    expect(bytesToHex(hd.privateKey as Uint8Array)).toBe(escaped.privateKey);
    expect(bytesToHex(hd.chainCode as Uint8Array)).toBe(device.chainCode);
    expect(hd.publicExtendedKey).toBe(escaped.xpub);
    for (const path of ['m/0', 'm/0/7', 'm/44/60/0/0/3', 'm/2147483647/1']) {
      const ours = childPrivateKey(x, device.chainCode, path);
      const theirs = hd.derive(path);
      expect(scalarToHex(ours.privateKey)).toBe(bytesToHex(theirs.privateKey as Uint8Array));
      expect(ours.xprv).toBe(theirs.privateExtendedKey);
      // …and the threshold wallet's own public derivation agrees.
      expect(derivePublic({ publicKey: device.publicKey, chainCode: device.chainCode }, path).key.publicKey).toBe(
        bytesToHex(theirs.publicKey as Uint8Array),
      );
    }
  });

  it('any pair works, also after a refresh; old + new shares do not', () => {
    expect(escapeKey(input(byParty(wallet, 1), cloud)).privateKey).toBe(escapeKey(input(device, cloud)).privateKey);
    const fresh = runRefreshInMemory(wallet);
    expect(escapeKey(input(byParty(fresh, 2), byParty(fresh, 3))).privateKey).toBe(
      escapeKey(input(device, cloud)).privateKey,
    );
    expectMpcError(
      () => reconstructPrivateKey(input(byParty(fresh, 2), cloud)),
      'MPC_KEY_MISMATCH',
      'escape.public-key',
    );
  });

  it('refuses a wrong share, a share of another wallet and the same party twice', () => {
    const wrong = { ...cloud, share: scalarToHex(modQ(BigInt(`0x${cloud.share}`) + 1n)) };
    expectMpcError(() => escapeKey(input(device, wrong)), 'MPC_KEY_MISMATCH', 'escape.public-key');
    const other = runDkgInMemory();
    expectMpcError(() => escapeKey(input(device, byParty(other, 3))), 'MPC_KEY_MISMATCH', 'escape.public-key');
    expectMpcError(() => escapeKey(input(device, device)), 'MPC_INVALID_PARTY', 'party.distinct');
    expectMpcError(
      () => escapeKey(input(device, { ...cloud, share: '00'.repeat(32) })),
      'MPC_INVALID_MESSAGE',
      'scalar.range',
    );
  });

  it('BIP-32 test vector 1: xprv of m/0H/1/2H → m/0H/1/2H/2', () => {
    const parentXprv =
      'xprv9z4pot5VBttmtdRTWfWQmoH1taj2axGVzFqSb8C9xaxKymcFzXBDptWmT7FwuEzG3ryjH4ktypQSAewRiNMjANTtpgP4mLTj34bhnZX7UiM';
    const childXprv =
      'xprvA2JDeKCSNNZky6uBCviVfJSKyQ1mDYahRjijr5idH2WwLsEd4Hsb2Tyh8RfQMuPh7f7RtyzTtdrbdqqsunu5Mm3wDvUAKRHSC34sJ7in334';
    const d = decodeExtendedKey(parentXprv);
    const x = BigInt(`0x${bytesToHex(d.keyData.slice(1))}`);
    const parent: ExtendedPublicKey = {
      publicKey: pointToHex(mulG(x)),
      chainCode: bytesToHex(d.chainCode),
      depth: d.depth,
      parentFingerprint: d.parentFingerprint,
      index: d.index,
    };
    expect(serializeXprv(x, parent)).toBe(parentXprv);
    const derived = derivePublic(parent, 'm/2');
    expect(serializeXprv(modQ(x + derived.tweak), derived.key)).toBe(childXprv);
  });

  it('serializeXprv refuses a key that does not match the extended public key', () => {
    const x = 12345n;
    const key = derivePublic({ publicKey: pointToHex(mulG(x + 1n)), chainCode: '22'.repeat(32) }, 'm').key;
    expectMpcError(() => serializeXprv(x, key), 'MPC_KEY_MISMATCH', 'xprv.public-key');
    expect(decodePoint(key.publicKey, 'pk').equals(mulG(x + 1n))).toBe(true);
  });
});
