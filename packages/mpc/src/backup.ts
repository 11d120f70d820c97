/**
 * The cloud backup of share 3 (research notes §3.2 "Create", step 2): a versioned JSON file with the
 * share encrypted under the user's password. Key: scrypt (RFC 7914) from @noble/hashes, cost at
 * least N = 2^17, r = 8, p = 1 (≈ 0.44 s per guess on a 2-vCPU EPYC under Node 20; decrypt refuses
 * anything cheaper, so a rewritten header cannot downgrade the work per guess). Cipher: AES-256-GCM
 * (NIST SP 800-38D) from @noble/ciphers, with every non-secret header field authenticated as
 * associated data, so changing any of them — or the ciphertext — makes decryption fail. GCM cannot
 * tell a wrong password from a modified file, so an authentication failure is reported honestly as
 * MPC_BACKUP_WRONG_PASSWORD "wrong password or modified file"; MPC_BACKUP_CORRUPT is kept for files
 * that are structurally invalid (not JSON, unknown version, bad field, truncated ciphertext, KDF
 * cost outside the accepted range). Also the BackupStore seam (in-memory here; a local folder in
 * `@custos/mpc/node`).
 */
import { bytesToUtf8, invalidInput, utf8ToBytes } from '@custos/core';
import { gcm } from '@noble/ciphers/aes.js';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { decodePoint, mulG, pointToHex, q, scalarToHex, wireHexToBytes } from './curve.js';
import { MpcError } from './errors.js';
import { assertStrongPassword, normalizePassword } from './password.js';
import type { PartyId } from './protocol/envelope.js';
import { bytesToBigint, Transcript } from './transcript.js';

export const BACKUP_VERSION = 1 as const;

export interface ScryptCost {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** The cost new backups use and the least decrypt accepts. */
export const BACKUP_KDF_MINIMUM: ScryptCost = { N: 2 ** 17, r: 8, p: 1 };
/** The most decrypt accepts (128·N·r bytes of memory at most 1 GiB), so a file cannot hang a device. */
export const BACKUP_KDF_MAXIMUM: ScryptCost = { N: 2 ** 20, r: 32, p: 4 };
const MAX_SCRYPT_MEMORY = 2 ** 30;

const SALT_BYTES = 32;
const NONCE_BYTES = 12;
const SHARE_BYTES = 32;
const TAG_BYTES = 16;

export interface BackupFile {
  readonly version: typeof BACKUP_VERSION;
  readonly kdf: {
    readonly name: 'scrypt';
    readonly N: number;
    readonly r: number;
    readonly p: number;
    readonly salt: string;
  };
  readonly cipher: { readonly name: 'aes-256-gcm'; readonly nonce: string };
  /** AES-256-GCM of the 32-byte share, tag appended. */
  readonly ciphertext: string;
  readonly partyIndex: PartyId;
  readonly publicKey: string;
  readonly chainCode: string;
  /** share·G: checked after decryption. */
  readonly sharePublicKey: string;
  readonly transcriptHash: string;
  readonly walletId?: string;
  /** ISO 8601. */
  readonly createdAt: string;
}

/** What a backup holds: the share (secret, hex) and the public facts about its key. */
export interface BackupContents {
  readonly share: string;
  readonly partyIndex: PartyId;
  readonly publicKey: string;
  readonly chainCode: string;
  readonly sharePublicKey: string;
  readonly transcriptHash: string;
  readonly walletId?: string;
  readonly createdAt: string;
}

export interface EncryptBackupInput extends Omit<BackupContents, 'partyIndex' | 'createdAt'> {
  /** Default 3, the cloud party. */
  readonly partyIndex?: PartyId;
  /** Default now. */
  readonly createdAt?: Date;
}

export interface BackupOptions {
  /** scrypt cost for a new backup; never below the minimum. */
  readonly kdf?: ScryptCost;
  /** Words the password must not lean on (the user's email, name), for the strength check. */
  readonly userInputs?: readonly string[];
  /**
   * TESTS ONLY: lowers the minimum accepted scrypt cost so unit tests run fast. Never set in
   * production code: it removes the downgrade protection.
   */
  readonly unsafeTestingMinimumKdf?: ScryptCost;
}

// Hex as everywhere in the package: lowercase, no `0x`.
const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`));
const pointHex = z.string().regex(/^0[23][0-9a-f]{64}$/);
const positiveInt = z.number().int().min(1);

const backupSchema = z.strictObject({
  version: z.literal(BACKUP_VERSION),
  kdf: z.strictObject({
    name: z.literal('scrypt'),
    N: positiveInt,
    r: positiveInt,
    p: positiveInt,
    salt: hex(SALT_BYTES),
  }),
  cipher: z.strictObject({ name: z.literal('aes-256-gcm'), nonce: hex(NONCE_BYTES) }),
  ciphertext: z.string().regex(/^([0-9a-f]{2})*$/),
  partyIndex: z.union([z.literal(1), z.literal(2), z.literal(3)]),
  publicKey: pointHex,
  chainCode: hex(32),
  sharePublicKey: pointHex,
  transcriptHash: hex(32),
  walletId: z.string().min(1).max(128).optional(),
  createdAt: z.iso.datetime(),
});

function corrupt(
  check: string,
  message: string,
  details: Record<string, string | number> = {},
  cause?: unknown,
): MpcError {
  return new MpcError('MPC_BACKUP_CORRUPT', check, message, details, cause);
}

/** Structural validation of an untrusted backup (a parsed object, JSON text or its UTF-8 bytes). */
export function parseBackup(value: unknown): BackupFile {
  let data = value;
  if (value instanceof Uint8Array || typeof value === 'string') {
    try {
      data = JSON.parse(typeof value === 'string' ? value : bytesToUtf8(value, 'backup'));
    } catch (cause) {
      throw corrupt('backup.json', 'the backup is not valid JSON', {}, cause);
    }
  }
  const version = typeof data === 'object' && data !== null ? (data as Record<string, unknown>).version : undefined;
  if (version !== BACKUP_VERSION) {
    throw corrupt('backup.version', 'unknown backup format version', {
      version: typeof version === 'number' ? version : String(version),
    });
  }
  const parsed = backupSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw corrupt('backup.shape', 'the backup has an invalid field', {
      field: issue ? issue.path.map(String).join('.') : '(root)',
    });
  }
  const { walletId, ...rest } = parsed.data;
  for (const field of ['publicKey', 'sharePublicKey'] as const) {
    try {
      decodePoint(rest[field], field);
    } catch (cause) {
      throw corrupt('backup.point', `"${field}" is not a valid point`, { field }, cause);
    }
  }
  return walletId === undefined ? rest : { ...rest, walletId };
}

/** The file as UTF-8 JSON bytes, for a BackupStore. */
export function encodeBackup(file: BackupFile): Uint8Array {
  return utf8ToBytes(`${JSON.stringify(file, null, 2)}\n`);
}

/** Every header field except the ciphertext, length-prefixed: the AES-GCM associated data. */
export function backupAssociatedData(file: Omit<BackupFile, 'ciphertext'>): Uint8Array {
  return new Transcript('backup/v1/header')
    .int('version', file.version)
    .string('kdf.name', file.kdf.name)
    .int('kdf.N', file.kdf.N)
    .int('kdf.r', file.kdf.r)
    .int('kdf.p', file.kdf.p)
    .string('kdf.salt', file.kdf.salt)
    .string('cipher.name', file.cipher.name)
    .string('cipher.nonce', file.cipher.nonce)
    .int('partyIndex', file.partyIndex)
    .string('publicKey', file.publicKey)
    .string('chainCode', file.chainCode)
    .string('sharePublicKey', file.sharePublicKey)
    .string('transcriptHash', file.transcriptHash)
    .string('walletId', file.walletId === undefined ? '' : `=${file.walletId}`)
    .string('createdAt', file.createdAt)
    .digest();
}

/** The failed check's name when `cost` is outside [minimum, BACKUP_KDF_MAXIMUM], else null. */
function costViolation(cost: ScryptCost, minimum: ScryptCost): string | null {
  const { N, r, p } = cost;
  if (![N, r, p].every((v) => Number.isSafeInteger(v) && v >= 1) || N < 2 || (N & (N - 1)) !== 0)
    return 'backup.kdf-parameters';
  if (N < minimum.N || r < minimum.r || p < minimum.p) return 'backup.kdf-minimum';
  const max = BACKUP_KDF_MAXIMUM;
  if (N > max.N || r > max.r || p > max.p || 128 * N * r > MAX_SCRYPT_MEMORY) return 'backup.kdf-maximum';
  return null;
}

function minimumOf(options: BackupOptions): ScryptCost {
  return options.unsafeTestingMinimumKdf ?? BACKUP_KDF_MINIMUM;
}

async function deriveKey(password: string, salt: Uint8Array, cost: ScryptCost): Promise<Uint8Array> {
  return scryptAsync(utf8ToBytes(normalizePassword(password)), salt, {
    ...cost,
    dkLen: 32,
    maxmem: MAX_SCRYPT_MEMORY + 1024 * 1024,
  });
}

function checkShare(share: bigint, sharePublicKey: string, fail: () => Error): void {
  if (share === 0n || share >= q || !mulG(share).equals(decodePoint(sharePublicKey, 'sharePublicKey'))) throw fail();
}

/**
 * Encrypts a share for the cloud. Refuses a weak password (MPC_WEAK_PASSWORD) and a share that does
 * not match `sharePublicKey` (MPC_KEY_MISMATCH), so a useless backup is never written.
 */
export async function encryptBackup(
  input: EncryptBackupInput,
  password: string,
  options: BackupOptions = {},
): Promise<BackupFile> {
  assertStrongPassword(password, options.userInputs ?? []);
  const cost = options.kdf ?? BACKUP_KDF_MINIMUM;
  if (costViolation(cost, minimumOf(options)) !== null) {
    throw invalidInput(
      'options.kdf',
      'a scrypt cost between the minimum and BACKUP_KDF_MAXIMUM (N a power of two)',
      JSON.stringify(cost),
    );
  }
  const shareBytes = wireHexToBytes(input.share, 'share', SHARE_BYTES);
  checkShare(
    bytesToBigint(shareBytes),
    input.sharePublicKey,
    () => new MpcError('MPC_KEY_MISMATCH', 'backup.share-public-key', 'the share does not match its public point'),
  );
  const header = {
    version: BACKUP_VERSION,
    kdf: { name: 'scrypt', ...cost, salt: bytesToHex(crypto.getRandomValues(new Uint8Array(SALT_BYTES))) },
    cipher: { name: 'aes-256-gcm', nonce: bytesToHex(crypto.getRandomValues(new Uint8Array(NONCE_BYTES))) },
    partyIndex: input.partyIndex ?? 3,
    publicKey: pointToHex(decodePoint(input.publicKey, 'publicKey')),
    chainCode: bytesToHex(wireHexToBytes(input.chainCode, 'chainCode', 32)),
    sharePublicKey: pointToHex(decodePoint(input.sharePublicKey, 'sharePublicKey')),
    transcriptHash: bytesToHex(wireHexToBytes(input.transcriptHash, 'transcriptHash', 32)),
    ...(input.walletId === undefined ? {} : { walletId: input.walletId }),
    createdAt: (input.createdAt ?? new Date()).toISOString(),
  } as const;
  const key = await deriveKey(password, wireHexToBytes(header.kdf.salt, 'kdf.salt'), cost);
  const ciphertext = gcm(
    key,
    wireHexToBytes(header.cipher.nonce, 'cipher.nonce'),
    backupAssociatedData(header),
  ).encrypt(shareBytes);
  key.fill(0);
  // Round-trip through the validator: a file we write is always one we can read.
  return parseBackup({ ...header, ciphertext: bytesToHex(ciphertext) });
}

/**
 * Decrypts a backup (object, JSON text or bytes). MPC_BACKUP_CORRUPT for a structurally invalid
 * file or a KDF cost outside the accepted range; MPC_BACKUP_WRONG_PASSWORD when AES-GCM
 * authentication fails (wrong password or a modified file — GCM cannot tell which).
 */
export async function decryptBackup(
  value: unknown,
  password: string,
  options: BackupOptions = {},
): Promise<BackupContents> {
  const file = parseBackup(value);
  const violation = costViolation(file.kdf, minimumOf(options));
  if (violation !== null) {
    // Below the minimum is a downgrade: someone rewrote the header to make guessing cheaper.
    throw corrupt(violation, "the backup's scrypt cost is outside the accepted range", {
      N: file.kdf.N,
      r: file.kdf.r,
      p: file.kdf.p,
    });
  }
  const ciphertext = wireHexToBytes(file.ciphertext, 'ciphertext');
  if (ciphertext.length !== SHARE_BYTES + TAG_BYTES) {
    throw corrupt('backup.ciphertext-length', 'the ciphertext is truncated or padded', { length: ciphertext.length });
  }
  const key = await deriveKey(password, wireHexToBytes(file.kdf.salt, 'kdf.salt'), file.kdf);
  let share: Uint8Array;
  try {
    share = gcm(key, wireHexToBytes(file.cipher.nonce, 'cipher.nonce'), backupAssociatedData(file)).decrypt(ciphertext);
  } catch (cause) {
    throw new MpcError(
      'MPC_BACKUP_WRONG_PASSWORD',
      'backup.decrypt',
      'wrong password or modified backup file',
      {},
      cause,
    );
  } finally {
    key.fill(0);
  }
  checkShare(bytesToBigint(share), file.sharePublicKey, () =>
    corrupt('backup.share-public-key', 'the decrypted share does not match its public point'),
  );
  return {
    share: scalarToHex(bytesToBigint(share)),
    partyIndex: file.partyIndex,
    publicKey: file.publicKey,
    chainCode: file.chainCode,
    sharePublicKey: file.sharePublicKey,
    transcriptHash: file.transcriptHash,
    ...(file.walletId === undefined ? {} : { walletId: file.walletId }),
    createdAt: file.createdAt,
  };
}

// ---------------------------------------------------------------------------------------------
// Where backups live

export interface BackupStore {
  put(name: string, bytes: Uint8Array): Promise<void>;
  /** undefined when there is no backup of that name. */
  get(name: string): Promise<Uint8Array | undefined>;
  list(): Promise<string[]>;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Backup names are plain file names: no path separators, no leading dot, at most 128 characters. */
export function assertBackupName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw invalidInput(
      'name',
      'a backup name of letters, digits, ".", "_" or "-" (1–128, not starting with ".")',
      name,
    );
  }
}

/** An in-memory BackupStore (tests, browsers before an upload). */
export class MemoryBackupStore implements BackupStore {
  readonly #files = new Map<string, Uint8Array>();

  async put(name: string, bytes: Uint8Array): Promise<void> {
    assertBackupName(name);
    this.#files.set(name, bytes.slice());
  }

  async get(name: string): Promise<Uint8Array | undefined> {
    assertBackupName(name);
    return this.#files.get(name)?.slice();
  }

  async list(): Promise<string[]> {
    return [...this.#files.keys()].sort();
  }
}
