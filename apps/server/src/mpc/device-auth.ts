/**
 * Device identity for the MPC wallet (the HTTP contract in packages/mpc/README.md): a device
 * enrols a P-256 key by signing a single-use server challenge, then signs every request — method,
 * path with query, SHA-256 of the exact body bytes, device id, a timestamp within ±30 s and a
 * fresh nonce — with ECDSA P-256/SHA-256 (FIPS 186-5; signatures in IEEE P1363 r‖s form, as
 * WebCrypto makes them). Verification is node:crypto over a key built from the raw SEC1 point as a
 * JWK (RFC 7518 §6.2.1), which also checks the point is on the curve. Nonces live in the database
 * until well after the timestamp window closes, so a replay is refused by every server node.
 */
import { createPublicKey, type KeyObject, randomBytes, verify } from 'node:crypto';
import { BaseError } from '@custos/core';
import type { Database } from '@custos/db';
import { DEVICE_HEADERS, enrolmentMessage, requestMessage } from '@custos/mpc';
import type { FastifyRequest } from 'fastify';
import type { DeviceAuthenticator, DevicePrincipal } from '../access/principals.js';

/** ± this much between the request's timestamp and server time. */
export const TIMESTAMP_WINDOW_MS = 30_000;
/** A nonce is remembered this long: the window on both sides plus clock skew between nodes. */
const NONCE_RETENTION_MS = 5 * 60_000;
export const CHALLENGE_TTL_MS = 5 * 60_000;

const DEVICE_ID_RE = /^[0-9a-f]{32}$/;
const TIMESTAMP_RE = /^[0-9]{1,16}$/;
const NONCE_RE = /^[0-9a-fA-F]{16,64}$/;
const SIGNATURE_RE = /^(0x)?[0-9a-fA-F]{128}$/;
const PUBLIC_KEY_RE = /^(0x)?04[0-9a-fA-F]{128}$/;
const CHALLENGE_RE = /^(0x)?[0-9a-fA-F]{64}$/;

function authFailed(check: string, message: string, details: Record<string, string> = {}): BaseError {
  return new BaseError('MPC_DEVICE_AUTH_FAILED', message, { details: { check, ...details } });
}

function stripHex(value: string): string {
  return (value.startsWith('0x') ? value.slice(2) : value).toLowerCase();
}

/** A P-256 public key from its uncompressed SEC1 encoding (65 bytes, 0x04 ‖ x ‖ y). */
export function p256PublicKey(point: Uint8Array): KeyObject {
  if (point.length !== 65 || point[0] !== 0x04) throw authFailed('public-key', 'expected an uncompressed P-256 point');
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
  try {
    return createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: b64(point.subarray(1, 33)), y: b64(point.subarray(33, 65)) },
      format: 'jwk',
    });
  } catch (cause) {
    throw new BaseError('MPC_DEVICE_AUTH_FAILED', 'the public key is not a point on P-256', {
      details: { check: 'public-key' },
      cause,
    });
  }
}

/** ECDSA P-256/SHA-256 over the UTF-8 message, signature r‖s (64 bytes). */
export function verifyP256(key: KeyObject, message: string, signatureHex: string): boolean {
  const signature = Buffer.from(stripHex(signatureHex), 'hex');
  if (signature.length !== 64) return false;
  return verify('sha256', Buffer.from(message, 'utf8'), { key, dsaEncoding: 'ieee-p1363' }, signature);
}

// The signed messages are the device package's: one definition of the wire format.
export { DEVICE_HEADERS, enrolmentMessage, requestMessage };

// ---------------------------------------------------------------------------------------------
// Enrolment

export async function createChallenge(db: Database): Promise<{ challenge: string; expiresAt: Date }> {
  // Challenges past their use are only kept long enough to answer "expired" rather than "unknown".
  await db.query("DELETE FROM mpc_enrol_challenges WHERE expires_at < now() - interval '1 hour'");
  const challenge = randomBytes(32).toString('hex');
  const { rows } = await db.query<{ expires_at: Date }>(
    "INSERT INTO mpc_enrol_challenges (challenge, expires_at) VALUES ($1, now() + $2::float8 * interval '1 millisecond') RETURNING expires_at",
    [challenge, CHALLENGE_TTL_MS],
  );
  return { challenge, expiresAt: rows[0]?.expires_at ?? new Date(Date.now() + CHALLENGE_TTL_MS) };
}

export interface EnrolmentRequest {
  publicKey: string;
  challenge: string;
  signature: string;
}

/**
 * Enrols a device: the signature over the challenge and public key must verify first (a bad one
 * burns nothing), then the challenge is consumed atomically (single use, unexpired). Enrolling the
 * same key again returns its existing device id.
 */
export async function enrolDevice(db: Database, request: EnrolmentRequest): Promise<{ deviceId: string }> {
  if (!PUBLIC_KEY_RE.test(request.publicKey)) {
    throw authFailed('public-key', '"publicKey" must be an uncompressed P-256 point (65 bytes of hex)');
  }
  if (!CHALLENGE_RE.test(request.challenge)) throw authFailed('challenge', '"challenge" must be 32 bytes of hex');
  if (!SIGNATURE_RE.test(request.signature)) throw authFailed('signature', '"signature" must be 64 bytes of hex');
  const point = new Uint8Array(Buffer.from(stripHex(request.publicKey), 'hex'));
  const key = p256PublicKey(point);
  if (!verifyP256(key, enrolmentMessage(request.challenge, request.publicKey), request.signature)) {
    throw authFailed('enrol.signature', 'the enrolment signature does not verify');
  }
  const challenge = stripHex(request.challenge);
  const consumed = await db.query(
    'UPDATE mpc_enrol_challenges SET used = true WHERE challenge = $1 AND NOT used AND expires_at > now()',
    [challenge],
  );
  if (consumed.rowCount !== 1) {
    const { rows } = await db.query<{ used: boolean }>('SELECT used FROM mpc_enrol_challenges WHERE challenge = $1', [
      challenge,
    ]);
    const row = rows[0];
    if (row === undefined) throw authFailed('enrol.challenge-unknown', 'the enrolment challenge is unknown');
    if (row.used) {
      throw new BaseError('MPC_REQUEST_REPLAYED', 'the enrolment challenge was already used', {
        details: { check: 'enrol.challenge-used' },
      });
    }
    throw authFailed('enrol.challenge-expired', 'the enrolment challenge has expired', {});
  }
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO mpc_devices (id, public_key) VALUES ($1, $2)
     ON CONFLICT (public_key) DO UPDATE SET public_key = excluded.public_key RETURNING id`,
    [randomBytes(16).toString('hex'), point],
  );
  const deviceId = rows[0]?.id;
  if (deviceId === undefined) throw new BaseError('INTERNAL', 'device insert returned no row');
  return { deviceId };
}

// ---------------------------------------------------------------------------------------------
// Signed requests

interface PendingCheck {
  readonly key: KeyObject;
  readonly timestamp: string;
  readonly nonce: string;
  readonly signature: string;
}

export interface DeviceAuthenticatorOptions {
  /** Server time in ms (tests move it). */
  now?: () => number;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The device verifier of the access hook. `identify` (before the body): all four headers well
 * formed, the timestamp within ±30 s, the device known. `verify` (after the body): the signature
 * over method, path with query, body hash, device id, timestamp and nonce, then the nonce recorded
 * once (a second use is MPC_REQUEST_REPLAYED). The nonce is only recorded for a valid signature,
 * so nobody can fill the table or burn a device's nonces.
 */
export function createDeviceAuthenticator(db: Database, options: DeviceAuthenticatorOptions = {}): DeviceAuthenticator {
  const now = options.now ?? Date.now;
  const pending = new WeakMap<FastifyRequest, PendingCheck>();
  // Device keys never change: keep the parsed KeyObjects of recently seen devices.
  const keys = new Map<string, KeyObject>();
  let lastSweep = 0;

  async function deviceKey(deviceId: string): Promise<KeyObject | undefined> {
    const cached = keys.get(deviceId);
    if (cached !== undefined) return cached;
    const { rows } = await db.query<{ public_key: Uint8Array }>('SELECT public_key FROM mpc_devices WHERE id = $1', [
      deviceId,
    ]);
    const row = rows[0];
    if (row === undefined) return undefined;
    const key = p256PublicKey(row.public_key);
    if (keys.size >= 10_000) keys.clear();
    keys.set(deviceId, key);
    return key;
  }

  return {
    async identify(request) {
      const values = Object.values(DEVICE_HEADERS).map((name) => header(request, name));
      if (values.every((v) => v === undefined)) return undefined;
      const [deviceId, timestamp, nonce, signature] = values;
      if (deviceId === undefined || !DEVICE_ID_RE.test(deviceId)) {
        throw authFailed('header', `${DEVICE_HEADERS.device} must be a device id`, { header: DEVICE_HEADERS.device });
      }
      if (timestamp === undefined || !TIMESTAMP_RE.test(timestamp)) {
        throw authFailed('header', `${DEVICE_HEADERS.timestamp} must be unix milliseconds`, {
          header: DEVICE_HEADERS.timestamp,
        });
      }
      if (nonce === undefined || !NONCE_RE.test(nonce)) {
        throw authFailed('header', `${DEVICE_HEADERS.nonce} must be 16 to 64 hex characters`, {
          header: DEVICE_HEADERS.nonce,
        });
      }
      if (signature === undefined || !SIGNATURE_RE.test(signature)) {
        throw authFailed('header', `${DEVICE_HEADERS.signature} must be 64 bytes of hex`, {
          header: DEVICE_HEADERS.signature,
        });
      }
      if (Math.abs(now() - Number(timestamp)) > TIMESTAMP_WINDOW_MS) {
        throw authFailed('timestamp', `the request timestamp is more than ${TIMESTAMP_WINDOW_MS / 1000} s off`, {});
      }
      const key = await deviceKey(deviceId);
      if (key === undefined) throw authFailed('unknown-device', 'the device is not enrolled');
      pending.set(request, { key, timestamp, nonce, signature });
      const principal: DevicePrincipal = { kind: 'device', deviceId };
      return principal;
    },

    async verify(request, principal, rawBody) {
      const check = pending.get(request);
      pending.delete(request);
      if (check === undefined) throw authFailed('header', 'the device headers were not checked');
      const message = requestMessage({
        method: request.method,
        path: request.url,
        body: rawBody,
        deviceId: principal.deviceId,
        timestamp: check.timestamp,
        nonce: check.nonce,
      });
      if (!verifyP256(check.key, message, check.signature)) {
        throw authFailed('signature', 'the request signature does not verify');
      }
      const stored = await db.query(
        `INSERT INTO mpc_request_nonces (device_id, nonce, expires_at)
         VALUES ($1, $2, now() + $3::float8 * interval '1 millisecond') ON CONFLICT DO NOTHING`,
        [principal.deviceId, check.nonce.toLowerCase(), NONCE_RETENTION_MS],
      );
      if (stored.rowCount !== 1) {
        throw new BaseError('MPC_REQUEST_REPLAYED', 'this request nonce was already used', {
          details: { check: 'nonce' },
        });
      }
      if (now() - lastSweep > 60_000) {
        lastSweep = now();
        await db.query('DELETE FROM mpc_request_nonces WHERE expires_at < now()');
      }
    },
  };
}
