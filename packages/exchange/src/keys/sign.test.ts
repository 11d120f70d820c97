import { randomBytes } from 'node:crypto';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { isOkxErrorCode, OKX_ERRORS, OKX_REPLAY_MSG, okxError } from './errors.js';
import { OKX_TIMESTAMP, okxPrehash, okxSign, okxTimestamp, parseOkxTimestamp } from './sign.js';

/** The signature computed independently: noble's HMAC-SHA256, Base64 by the platform. */
function nobleSign(secret: string, prehash: string): string {
  return Buffer.from(hmac(sha256, utf8ToBytes(secret), utf8ToBytes(prehash))).toString('base64');
}

describe('okxSign', () => {
  it('is HMAC-SHA256 in Base64 (RFC 4231 test case 2)', () => {
    // Empty timestamp and method: the prehash is exactly the RFC's message.
    expect(okxSign('Jefe', 'what do ya want ', '', 'for nothing?', '')).toBe(
      'W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=',
    );
  });

  it("builds OKX's documented GET prehash: timestamp + method + path with query, no body", () => {
    const prehash = okxPrehash('2020-12-08T09:08:57.715Z', 'GET', '/api/v5/account/balance?ccy=BTC', '');
    expect(prehash).toBe('2020-12-08T09:08:57.715ZGET/api/v5/account/balance?ccy=BTC');
    const secret = '22582BD0CFF14C41EDBF1AB98506286D';
    const sign = okxSign(secret, '2020-12-08T09:08:57.715Z', 'GET', '/api/v5/account/balance?ccy=BTC', '');
    expect(sign).toBe(nobleSign(secret, prehash));
    expect(sign).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });

  it("builds OKX's documented POST prehash: the raw JSON body appended", () => {
    const body = '{"instId":"BTC-USDT","lever":"5","mgnMode":"isolated"}';
    const prehash = okxPrehash('2020-12-08T09:08:57.715Z', 'POST', '/api/v5/account/set-leverage', body);
    expect(prehash).toBe(
      '2020-12-08T09:08:57.715ZPOST/api/v5/account/set-leverage{"instId":"BTC-USDT","lever":"5","mgnMode":"isolated"}',
    );
    const secret = '22582BD0CFF14C41EDBF1AB98506286D';
    expect(okxSign(secret, '2020-12-08T09:08:57.715Z', 'POST', '/api/v5/account/set-leverage', body)).toBe(
      nobleSign(secret, prehash),
    );
  });

  it('upper-cases the method (OKX signs GET/POST)', () => {
    expect(okxSign('S', 't', 'post', '/p', 'b')).toBe(okxSign('S', 't', 'POST', '/p', 'b'));
  });

  it('matches the independent implementation on random inputs, non-ASCII included', () => {
    for (let i = 0; i < 200; i++) {
      const secret = randomBytes(16).toString('hex').toUpperCase();
      const ts = okxTimestamp(1_600_000_000_000 + i * 7919);
      const method = i % 2 === 0 ? 'GET' : 'POST';
      const path = `/api/v5/x/${randomBytes(3).toString('hex')}?a=${i}&b=%20é`;
      const body = i % 2 === 0 ? '' : JSON.stringify({ n: i, s: 'ünïcødé ✓', r: randomBytes(4).toString('base64') });
      expect(okxSign(secret, ts, method, path, body)).toBe(nobleSign(secret, `${ts}${method}${path}${body}`));
    }
  });

  it('keys the HMAC with the UTF-8 bytes of the secret text (not hex-decoded)', () => {
    const secret = 'ABCDEF0123456789ABCDEF0123456789';
    const prehash = '2020-12-08T09:08:57.715ZGET/x';
    const hexDecoded = Buffer.from(hmac(sha256, Buffer.from(secret, 'hex'), utf8ToBytes(prehash))).toString('base64');
    const sign = okxSign(secret, '2020-12-08T09:08:57.715Z', 'GET', '/x', '');
    expect(sign).toBe(nobleSign(secret, prehash));
    expect(sign).not.toBe(hexDecoded);
  });
});

describe('OKX_TIMESTAMP and parseOkxTimestamp', () => {
  it('accepts the documented form', () => {
    expect(OKX_TIMESTAMP.test('2020-12-08T09:08:57.715Z')).toBe(true);
    expect(parseOkxTimestamp('2020-12-08T09:08:57.715Z')).toBe(Date.UTC(2020, 11, 8, 9, 8, 57, 715));
  });

  it.each([
    ['2020-12-08T09:08:57Z', 'no milliseconds'],
    ['2020-12-08T09:08:57.715', 'no Z'],
    ['2020-12-08T09:08:57.715+00:00', 'numeric offset'],
    ['2020-12-08T10:08:57.715+01:00', 'non-zero offset'],
    ['2020-12-08T09:08:57.715z', 'lower-case z'],
    ['2020-12-08T09:08:57.71Z', 'two fraction digits'],
    ['2020-12-08T09:08:57.7150Z', 'four fraction digits'],
    ['2020-12-08 09:08:57.715Z', 'space separator'],
    ['1607418537715', 'epoch milliseconds'],
    ['1607418537.715', 'epoch seconds'],
    ['2020-02-30T00:00:00.000Z', 'February 30'],
    ['2020-13-01T00:00:00.000Z', 'month 13'],
    ['2020-12-08T24:00:00.000Z', 'hour 24'],
    ['2020-12-08T09:60:00.000Z', 'minute 60'],
    [' 2020-12-08T09:08:57.715Z', 'leading space'],
    ['2020-12-08T09:08:57.715Z\n', 'trailing newline'],
  ])('refuses %j (%s)', (ts) => {
    expect(parseOkxTimestamp(ts)).toBeNull();
  });

  it('okxTimestamp writes the strict form', () => {
    expect(okxTimestamp(Date.UTC(2020, 11, 8, 9, 8, 57, 715))).toBe('2020-12-08T09:08:57.715Z');
    expect(OKX_TIMESTAMP.test(okxTimestamp(0))).toBe(true);
  });
});

describe('OKX errors', () => {
  it.each([
    ['50103', 401, 'Request header OK-ACCESS-KEY cannot be empty'],
    ['50104', 401, 'Request header OK-ACCESS-PASSPHRASE cannot be empty'],
    ['50106', 401, 'Request header OK-ACCESS-SIGN cannot be empty'],
    ['50107', 401, 'Request header OK-ACCESS-TIMESTAMP cannot be empty'],
    ['50111', 401, 'Invalid OK-ACCESS-KEY'],
    ['50112', 401, 'Invalid OK-ACCESS-TIMESTAMP'],
    ['50102', 401, 'Timestamp request expired'],
    ['50105', 401, 'OK-ACCESS-PASSPHRASE incorrect'],
    ['50113', 401, 'Invalid signature'],
    ['50100', 400, 'API frozen, please contact customer service'],
    ['50120', 200, "This API key doesn't have permission to use this function"],
    ['50011', 429, 'Rate limit reached. Please refer to API documentation and throttle requests accordingly.'],
    ['50000', 400, 'Body can not be empty'],
  ] as const)("%s answers HTTP %i with OKX's message", (code, httpStatus, msg) => {
    expect(OKX_ERRORS[code]).toEqual({ httpStatus, msg });
    expect(okxError(code)).toEqual({ httpStatus, body: { code, msg, data: [] } });
  });

  it('fills the IP into 50110', () => {
    expect(okxError('50110', { ip: '198.51.100.1' })).toEqual({
      httpStatus: 401,
      body: { code: '50110', msg: "Your IP 198.51.100.1 is not included in your API key's IP whitelist", data: [] },
    });
  });

  it('answers a replay as 50113 "request replayed"', () => {
    expect(okxError('50113', { msg: OKX_REPLAY_MSG })).toEqual({
      httpStatus: 401,
      body: { code: '50113', msg: 'request replayed', data: [] },
    });
  });

  it('fills {param0} into 50014', () => {
    expect(okxError('50014', { param0: 'instId' }).body.msg).toBe('Parameter instId can not be empty');
  });

  it('knows its codes', () => {
    expect(isOkxErrorCode('50113')).toBe(true);
    expect(isOkxErrorCode('99999')).toBe(false);
    expect(isOkxErrorCode('toString')).toBe(false);
  });
});
