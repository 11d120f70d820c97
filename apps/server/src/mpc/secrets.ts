/**
 * Server secrets at rest: every MPC secret the server keeps (its key share, Paillier and
 * ring-Pedersen factors, protocol states, presignatures) is sealed with AES-256-GCM (NIST SP
 * 800-38D) under a data key derived from the 32-byte master key with HKDF-SHA256 (RFC 5869). The
 * associated data binds each ciphertext to where it lives — table and column, row id and
 * generation (or protocol round) — so a ciphertext copied to another row, another wallet
 * generation or an older session round fails to open. A sealed blob is
 * `version (1) ‖ key id (8) ‖ IV (12) ‖ ciphertext ‖ tag (16)`; the key id (an HMAC fingerprint
 * of the master key, not the key) tells "sealed under another master key" apart from tampering.
 * Errors name the binding, never a value.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { BaseError } from '@custos/core';
import type { Queryable } from '@custos/db';

const VERSION = 1;
const KEY_ID_BYTES = 8;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + KEY_ID_BYTES + IV_BYTES;
export const MASTER_KEY_BYTES = 32;
const MASTER_KEY_RE = /^[0-9a-fA-F]{64}$/;

/** Where a sealed value lives; all of it is authenticated. */
export interface SecretBinding {
  /** `table.column`, e.g. `mpc_wallets.server_share`. */
  readonly field: string;
  readonly rowId: string;
  /** The wallet generation, or the protocol round of a session state. */
  readonly generation: number;
}

export type MasterKeyFailure = 'wrong-key' | 'tampered' | 'format';

/**
 * A sealed secret that cannot be opened. `wrong-key` is a configuration problem (INVALID_CONFIG:
 * the node runs with another master key than the one that sealed the data); `tampered` and
 * `format` mean the stored bytes or their binding changed (INTERNAL: answered as a bare 500).
 */
export class MasterKeyError extends BaseError {
  override name = 'MasterKeyError';
  readonly reason: MasterKeyFailure;

  constructor(reason: MasterKeyFailure, binding: SecretBinding, cause?: unknown) {
    const wrongKey = reason === 'wrong-key';
    const message = wrongKey
      ? `the MPC secret in ${binding.field} was sealed under another master key`
      : `the MPC secret in ${binding.field} failed authentication (${reason})`;
    super(wrongKey ? 'INVALID_CONFIG' : 'INTERNAL', message, {
      details: { check: `secret.${reason}`, field: binding.field, rowId: binding.rowId },
      hints: wrongKey
        ? [
            'Start the server with the master key this database was created with (CUSTOS_MASTER_KEY or --master-key-file).',
          ]
        : [],
      ...(cause === undefined ? {} : { cause }),
    });
    this.reason = reason;
  }
}

/** Parses a master key given as 64 hex characters; `source` names the flag, variable or file. */
export function parseMasterKey(value: string, source: string): Uint8Array {
  const trimmed = value.trim();
  if (!MASTER_KEY_RE.test(trimmed)) {
    throw new BaseError('INVALID_CONFIG', `invalid ${source}: the master key must be 64 hex characters (32 bytes)`, {
      details: { setting: 'masterKey' },
    });
  }
  return new Uint8Array(Buffer.from(trimmed, 'hex'));
}

function associatedData(binding: SecretBinding, header: Uint8Array): Buffer {
  if (!Number.isSafeInteger(binding.generation) || binding.generation < 0) {
    throw new BaseError('INTERNAL', `invalid generation for ${binding.field}`);
  }
  const text = `custos/mpc/at-rest/v1\n${binding.field}\n${binding.rowId}\n${binding.generation}\n`;
  return Buffer.concat([Buffer.from(text, 'utf8'), header]);
}

/** Seals and opens server secrets under one master key. Holds only derived keys. */
export class SecretBox {
  readonly #dataKey: Buffer;
  /** HMAC-SHA256(master key, label), first 8 bytes: identifies the key without revealing it. */
  readonly keyId: Uint8Array;

  constructor(masterKey: Uint8Array) {
    if (!(masterKey instanceof Uint8Array) || masterKey.length !== MASTER_KEY_BYTES) {
      throw new BaseError('INVALID_CONFIG', 'the master key must be 32 bytes');
    }
    this.#dataKey = Buffer.from(hkdfSync('sha256', masterKey, new Uint8Array(0), 'custos/mpc/data-key/v1', 32));
    this.keyId = new Uint8Array(
      createHmac('sha256', masterKey).update('custos/mpc/key-id/v1').digest().subarray(0, KEY_ID_BYTES),
    );
  }

  seal(binding: SecretBinding, plaintext: Uint8Array): Uint8Array {
    const header = Buffer.alloc(HEADER_BYTES);
    header[0] = VERSION;
    header.set(this.keyId, 1);
    header.set(randomBytes(IV_BYTES), 1 + KEY_ID_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#dataKey, header.subarray(1 + KEY_ID_BYTES), {
      authTagLength: TAG_BYTES,
    });
    cipher.setAAD(associatedData(binding, header));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return new Uint8Array(Buffer.concat([header, body, cipher.getAuthTag()]));
  }

  open(binding: SecretBinding, sealed: Uint8Array): Uint8Array {
    if (!(sealed instanceof Uint8Array) || sealed.length < HEADER_BYTES + TAG_BYTES || sealed[0] !== VERSION) {
      throw new MasterKeyError('format', binding);
    }
    const header = sealed.subarray(0, HEADER_BYTES);
    if (!timingSafeEqual(header.subarray(1, 1 + KEY_ID_BYTES), this.keyId))
      throw new MasterKeyError('wrong-key', binding);
    const decipher = createDecipheriv('aes-256-gcm', this.#dataKey, header.subarray(1 + KEY_ID_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(associatedData(binding, header));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    try {
      const body = sealed.subarray(HEADER_BYTES, sealed.length - TAG_BYTES);
      return new Uint8Array(Buffer.concat([decipher.update(body), decipher.final()]));
    } catch (cause) {
      throw new MasterKeyError('tampered', binding, cause);
    }
  }

  sealJson(binding: SecretBinding, value: unknown): Uint8Array {
    return this.seal(binding, new TextEncoder().encode(JSON.stringify(value)));
  }

  /** Opens and parses JSON; callers validate the shape (the protocol parsers do). */
  openJson(binding: SecretBinding, sealed: Uint8Array): unknown {
    const bytes = this.open(binding, sealed);
    try {
      return JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    } catch (cause) {
      throw new MasterKeyError('format', binding, cause);
    }
  }
}

/**
 * Records the master key's id in a fresh database, or checks that it matches the recorded one, so
 * a node started with another key refuses to start (INVALID_CONFIG) instead of failing later on
 * every wallet.
 */
export async function checkMasterKey(db: Queryable, box: SecretBox, source: string): Promise<void> {
  await db.query('INSERT INTO mpc_master_key (key_id) VALUES ($1) ON CONFLICT (id) DO NOTHING', [box.keyId]);
  const { rows } = await db.query<{ key_id: Uint8Array }>('SELECT key_id FROM mpc_master_key');
  const recorded = rows[0]?.key_id;
  if (recorded === undefined || !timingSafeEqual(Buffer.from(recorded), box.keyId)) {
    throw new BaseError(
      'INVALID_CONFIG',
      `the master key from ${source} is not the one this database's MPC secrets are sealed under`,
      {
        details: { setting: 'masterKey' },
        hints: [
          'Every server node sharing a database needs the same master key (CUSTOS_MASTER_KEY or --master-key-file).',
        ],
      },
    );
  }
}
