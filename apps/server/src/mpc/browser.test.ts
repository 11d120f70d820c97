/**
 * The keyless wallet's device side in a real browser: the page and its Web Worker, bundled by
 * Vite, run in Debian's headless Chromium (playwright-core) against a real custos server on an
 * in-memory PGlite. The device enrols a non-extractable WebCrypto key, creates a wallet (DKG,
 * Lindell17 pairing, encrypted backup) and signs an EIP-191 message; the test checks the signature
 * with viem, the server's view of the wallet, and — from every request body the page sent,
 * recorded by the same-origin proxy in front of the server — that share 2 and share 3 never left
 * the browser in any encoding.
 */
import { existsSync } from 'node:fs';
import { createNodeArithmetic } from '@custos/mpc/node';
import { hashMessage, serializeSignature, verifyMessage } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_BLUM_PRIMES, TEST_SAFE_PRIMES } from '../../../../packages/mpc/src/testing/primes.js';
import { fixedPrimeArithmetic } from '../testing/device.js';
import { createHarness, type Harness } from '../testing/harness.js';
import {
  type BrowserDevice,
  CHROMIUM_PATH,
  type DeviceRunResult,
  openBrowserDevice,
  type RecordedExchange,
  removeDevicePageBuild,
  TEST_BACKUP_PASSWORD,
} from './browser/device.js';

const BROWSER_RUN_MS = 180_000;
const MESSAGE = 'custos browser device test: sign this EIP-191 message';

const ci = (process.env.CI ?? '') !== '' && process.env.CI !== 'false';
const haveChromium = existsSync(CHROMIUM_PATH);
// Locally a machine without Chromium skips, saying why; CI never skips (beforeAll fails instead).
const skipReason = !haveChromium && !ci ? ` (SKIPPED: no ${CHROMIUM_PATH}; apt-get install chromium)` : '';
if (skipReason !== '') console.warn(`browser device test${skipReason}`);

/** Every textual form a 32-byte secret could take in a JSON body. */
function encodingsOf(shareHex: string): string[] {
  const bytes = Buffer.from(shareHex.padStart(64, '0'), 'hex');
  const value = BigInt(`0x${shareHex}`);
  return [
    shareHex.padStart(64, '0'),
    value.toString(16),
    value.toString(10),
    bytes.toString('base64').replace(/=+$/, ''),
    bytes.toString('base64url'),
  ];
}

/** The exchanges whose request (path or body) contains the share in any of its forms. */
function leaks(exchanges: readonly RecordedExchange[], shareHex: string, part: 'request' | 'response') {
  const forms = encodingsOf(shareHex);
  return exchanges.filter((e) => {
    const text = part === 'request' ? `${e.path}\n${e.requestBody}` : e.responseBody;
    const lower = text.toLowerCase();
    return forms.some((form) => text.includes(form) || lower.includes(form.toLowerCase()));
  });
}

describe.skipIf(skipReason !== '')(`browser device in headless Chromium${skipReason}`, () => {
  let harness: Harness;
  let device: BrowserDevice;
  let run: DeviceRunResult | undefined;
  const ran = (): DeviceRunResult => {
    if (run === undefined) throw new Error('no browser run to check: the creation test failed');
    return run;
  };

  beforeAll(async () => {
    if (!haveChromium) {
      throw new Error(
        `CI requires Debian's chromium at ${CHROMIUM_PATH} (.ci/run installs it; CUSTOS_CHROMIUM overrides the path)`,
      );
    }
    // The server's Paillier and ring-Pedersen primes are fixed (its prime generation is not under
    // test here); the device in Chromium generates its own safe primes with BigInt, as in use.
    const arithmetic = fixedPrimeArithmetic(createNodeArithmetic(), {
      blum: TEST_BLUM_PRIMES.slice(0, 2),
      safe: TEST_SAFE_PRIMES.slice(0, 2),
    });
    harness = await createHarness({}, {}, { mpc: { arithmetic } });
    const upstream = await harness.app.listen({ port: 0, host: '127.0.0.1' });
    device = await openBrowserDevice({ upstream });
  }, 120_000);

  afterAll(async () => {
    await device?.close();
    await removeDevicePageBuild();
    await harness?.close();
  });

  it(
    `creates a wallet and signs an EIP-191 message in the worker within ${BROWSER_RUN_MS / 1000} s`,
    async () => {
      const result = await device.run(
        { password: TEST_BACKUP_PASSWORD, message: MESSAGE, revealShares: true },
        BROWSER_RUN_MS,
      );
      run = result;
      const t = result.timings;
      console.log(
        `browser device: connect ${Math.round(t.connectMs)} ms, create ${Math.round(t.createMs)} ms, sign ${Math.round(t.signMs ?? 0)} ms; stages ${t.stages.map((s) => `${s.stage}@${s.atMs}`).join(', ')}`,
      );

      expect(result.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
      const signed = result.signature;
      if (signed === undefined) throw new Error('the worker returned no signature');
      expect(signed.digest).toBe(hashMessage(MESSAGE));
      expect(signed.address).toBe(result.address);
      const signature = serializeSignature({ r: signed.r, s: signed.s, yParity: signed.yParity });
      expect(await verifyMessage({ address: result.address, message: MESSAGE, signature })).toBe(true);
      // EIP-2 low-s: s ≤ n/2.
      expect(BigInt(signed.s)).toBeLessThanOrEqual(0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n);
    },
    BROWSER_RUN_MS + 10_000,
  );

  it("the server's view of the wallet (device-signed GET and the DKG's result) matches the browser's", () => {
    const result = ran();
    const server = result.serverWallet as Record<string, unknown>;
    expect(server.walletId).toBe(result.walletId);
    expect(server.publicKey).toBe(result.publicKey);
    expect(String(server.address)).toBe(result.address);
    expect(server.chainCode).toBe(result.chainCode);
    expect(server.status).toBe('active');

    const finished = device.exchanges
      .filter((e) => e.path.startsWith('/v1/mpc/sessions/') && e.status === 200)
      .map((e) => JSON.parse(e.responseBody) as { done?: boolean; result?: Record<string, unknown> })
      .find((body) => body.done === true && typeof body.result?.publicKey === 'string');
    expect(finished?.result?.publicKey).toBe(result.publicKey);
  });

  it('no request body (or path) carries share 2 or share 3 — hex with or without 0x, decimal, base64', () => {
    const revealed = ran().revealed;
    if (revealed === undefined) throw new Error('the worker did not reveal the shares (revealShares)');
    expect(revealed.share2).toMatch(/^[0-9a-f]{64}$/);
    expect(revealed.share3).toMatch(/^[0-9a-f]{64}$/);
    expect(revealed.share2).not.toBe(revealed.share3);

    // The scan covered the whole protocol, not an empty log.
    const routes = device.exchanges.map((e) => `${e.method} ${e.path.replace(/[0-9a-f-]{16,}/g, ':id')}`);
    for (const route of [
      'POST /v1/mpc/devices/challenge',
      'POST /v1/mpc/devices',
      'POST /v1/mpc/wallets',
      'POST /v1/mpc/sessions/:id',
      'POST /v1/mpc/wallets/:id/pair',
      'POST /v1/mpc/wallets/:id/presignatures',
      'POST /v1/mpc/wallets/:id/sign',
    ]) {
      expect(routes).toContain(route);
    }
    expect(device.exchanges.every((e) => e.status < 400)).toBe(true);

    // The scanner finds a share when it is there (with a 0x prefix, upper case, as a decimal).
    const planted = (body: string): RecordedExchange[] => [
      { method: 'POST', path: '/v1/x', requestBody: body, status: 200, responseBody: '' },
    ];
    expect(leaks(planted(`{"a":"0x${revealed.share2}"}`), revealed.share2, 'request')).toHaveLength(1);
    expect(leaks(planted(`{"a":"${revealed.share3.toUpperCase()}"}`), revealed.share3, 'request')).toHaveLength(1);
    expect(leaks(planted(`{"a":${BigInt(`0x${revealed.share3}`)}}`), revealed.share3, 'request')).toHaveLength(1);

    for (const share of [revealed.share2, revealed.share3]) {
      expect(leaks(device.exchanges, share, 'request').map((e) => `${e.method} ${e.path}`)).toEqual([]);
      // The server never learns them either, so no answer can echo them.
      expect(leaks(device.exchanges, share, 'response').map((e) => `${e.method} ${e.path}`)).toEqual([]);
    }
  });
});
