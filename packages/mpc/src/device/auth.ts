/**
 * The device's own identity key and request signatures (the HTTP contract in the package README):
 * an ECDSA P-256 key made with WebCrypto — non-extractable in a browser, where it lives in
 * IndexedDB; extractable only when the CLI must keep it in a 0600 file — signs the enrolment
 * challenge once and then every request over method, path, body hash, device id, timestamp and a
 * fresh nonce. The server refuses a replayed nonce or a timestamp more than 30 s off.
 */
import { bytesToHex, utf8ToBytes } from '@custos/core';
import { sha256 } from '@noble/hashes/sha2.js';
import { wireHexToBytes } from '../curve.js';

/** WebCrypto's key type, named without DOM or node:crypto typings (the same object in both). */
export type WebCryptoKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

export interface DeviceKey {
  readonly privateKey: WebCryptoKey;
  /** Uncompressed SEC1 P-256 point, 65 bytes. */
  readonly publicKey: Uint8Array;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** A fresh device key; `extractable` only where the key must be written to a file (the CLI). */
export async function generateDeviceKey(extractable: boolean): Promise<DeviceKey> {
  const pair = await crypto.subtle.generateKey(ALGORITHM, extractable, ['sign', 'verify']);
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  return { privateKey: pair.privateKey, publicKey };
}

/** PKCS#8 bytes of an extractable key (the CLI's 0600 key file). */
export async function exportDeviceKey(key: DeviceKey): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.exportKey('pkcs8', key.privateKey));
}

export async function importDeviceKey(pkcs8: Uint8Array, publicKey: Uint8Array): Promise<DeviceKey> {
  const privateKey = await crypto.subtle.importKey('pkcs8', pkcs8, ALGORITHM, false, ['sign']);
  return { privateKey, publicKey };
}

async function sign(key: DeviceKey, message: string): Promise<string> {
  const signature = await crypto.subtle.sign(SIGN, key.privateKey, utf8ToBytes(message));
  return bytesToHex(new Uint8Array(signature)).slice(2);
}

/** The headers a device-signed request carries. */
export const DEVICE_HEADERS = {
  device: 'x-custos-device',
  timestamp: 'x-custos-timestamp',
  nonce: 'x-custos-nonce',
  signature: 'x-custos-signature',
} as const;

export function enrolmentMessage(challenge: string, publicKeyHex: string): string {
  return `custos-device-enrol-v1\n${challenge}\n${publicKeyHex}`;
}

export function requestMessage(parts: {
  method: string;
  path: string;
  body: Uint8Array;
  deviceId: string;
  timestamp: string;
  nonce: string;
}): string {
  const bodyHash = bytesToHex(sha256(parts.body)).slice(2);
  return [
    'custos-device-v1',
    parts.method.toUpperCase(),
    parts.path,
    bodyHash,
    parts.deviceId,
    parts.timestamp,
    parts.nonce,
  ].join('\n');
}

export function publicKeyHex(key: DeviceKey): string {
  return bytesToHex(key.publicKey).slice(2);
}

/** The enrolment body: `{ publicKey, challenge, signature }`. */
export async function signEnrolment(
  key: DeviceKey,
  challenge: string,
): Promise<{ publicKey: string; challenge: string; signature: string }> {
  const publicKey = publicKeyHex(key);
  return { publicKey, challenge, signature: await sign(key, enrolmentMessage(challenge, publicKey)) };
}

/** The four headers of a device-signed request. */
export async function signRequest(
  key: DeviceKey,
  deviceId: string,
  method: string,
  path: string,
  body: Uint8Array,
  now: number = Date.now(),
): Promise<Record<string, string>> {
  const timestamp = String(now);
  const nonce = bytesToHex(crypto.getRandomValues(new Uint8Array(16))).slice(2);
  const signature = await sign(key, requestMessage({ method, path, body, deviceId, timestamp, nonce }));
  return {
    [DEVICE_HEADERS.device]: deviceId,
    [DEVICE_HEADERS.timestamp]: timestamp,
    [DEVICE_HEADERS.nonce]: nonce,
    [DEVICE_HEADERS.signature]: signature,
  };
}

export function publicKeyFromHex(value: string): Uint8Array {
  return wireHexToBytes(value, 'publicKey', 65);
}
