/**
 * A viem `LocalAccount` whose key is held by a `DigestSigner` (an MPC wallet), built with viem's
 * `toAccount`, so any viem code — `walletClient.sendTransaction`, `signMessage`, `signTypedData`,
 * `writeContract` — can use it unchanged. Each operation builds a `SignRequest` that says what is
 * signed (never a bare digest unless viem's raw `sign` is called), asks the signer, and assembles
 * and checks the result (`assemble`). Also the EVM address of a compressed SEC 1 public key
 * (SEC 1 §2.3.4 decompression, address = last 20 bytes of keccak256(x ‖ y), Yellow Paper eq. 284).
 */
import { bytesToHex, invalidInput } from '@custos/core';
import {
  type Address,
  type Hex,
  isAddressEqual,
  type LocalAccount,
  type SerializeTransactionFn,
  type TransactionSerializable,
  type TypedDataDefinition,
} from 'viem';
import { toAccount, publicKeyToAddress as uncompressedToAddress } from 'viem/accounts';
import type { DigestSigner, SignRequest } from '../signer.js';
import { assemble } from './assemble.js';
import { parseUnsignedTransaction, serializeUnsignedTransaction } from './transaction.js';
import { toTypedDataDocument } from './typed-data.js';

/** secp256k1 field prime p = 2^256 − 2^32 − 977 (SEC 2 §2.4.1); p ≡ 3 (mod 4). */
const P = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn;

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}

/**
 * The 65-byte uncompressed form (`0x04 ‖ x ‖ y`) of a secp256k1 public key given compressed
 * (33 bytes) or uncompressed (65 bytes); refuses anything not on the curve. Public data only, so
 * the variable-time square root is fine.
 */
export function decompressPublicKey(publicKey: Hex, field = 'publicKey'): Hex {
  const hex = typeof publicKey === 'string' ? publicKey.toLowerCase() : '';
  const compressed = /^0x0[23][0-9a-f]{64}$/.test(hex);
  const uncompressed = /^0x04[0-9a-f]{128}$/.test(hex);
  if (!compressed && !uncompressed) {
    throw invalidInput(field, 'a 33-byte compressed (or 65-byte uncompressed) secp256k1 public key', publicKey);
  }
  const x = BigInt(`0x${hex.slice(4, 68)}`);
  const rhs = (((x * x) % P) * x + 7n) % P;
  let y: bigint;
  if (compressed) {
    y = modPow(rhs, (P + 1n) / 4n, P);
    if ((y & 1n) !== BigInt(hex[3] === '3' ? 1 : 0)) y = P - y;
  } else {
    y = BigInt(`0x${hex.slice(68)}`);
  }
  if (x >= P || y >= P || (y * y) % P !== rhs) throw invalidInput(field, 'a point on secp256k1', publicKey);
  return `0x04${x.toString(16).padStart(64, '0')}${y.toString(16).padStart(64, '0')}`;
}

/** The checksummed EVM address of a secp256k1 public key (33-byte compressed, or 65-byte). */
export function publicKeyToAddress(publicKey: Hex): Address {
  return uncompressedToAddress(decompressPublicKey(publicKey));
}

/** A viem local account backed by a DigestSigner; `publicKey` is the uncompressed key, as viem's. */
export type MpcAccount = LocalAccount<'mpc'>;

/**
 * Wraps `signer` as a viem account. Refuses a signer whose address is not its public key's.
 * Transactions must be legacy (with a chain id), EIP-2930 or EIP-1559 in their standard encoding.
 */
export function toMpcAccount(signer: DigestSigner): MpcAccount {
  const publicKey = decompressPublicKey(signer.publicKey, 'signer.publicKey');
  const address = publicKeyToAddress(publicKey);
  if (typeof signer.address !== 'string' || !isAddressEqual(signer.address, address)) {
    throw invalidInput('signer.address', `the address of signer.publicKey (${address})`, signer.address);
  }
  const run = async (request: SignRequest): Promise<Hex> =>
    assemble(request, await signer.signDigest(request), address);

  const account = toAccount({
    address,
    sign: ({ hash }) => run({ kind: 'digest', digest: hash }),
    signMessage: ({ message }) => {
      if (typeof message === 'string') return run({ kind: 'message', message });
      const raw = typeof message.raw === 'string' ? message.raw : bytesToHex(message.raw);
      return run({ kind: 'message', message: { raw } });
    },
    signTransaction: async (transaction, options) => {
      const serializer = options?.serializer as SerializeTransactionFn<TransactionSerializable> | undefined;
      const serialized = await serializeUnsignedTransaction(transaction as TransactionSerializable, serializer);
      const { chainId } = parseUnsignedTransaction(serialized);
      return run({ kind: 'transaction', chainId, transaction: serialized });
    },
    signTypedData: (definition) =>
      run({ kind: 'typed-data', typedData: toTypedDataDocument(definition as unknown as TypedDataDefinition) }),
  });
  return { ...account, publicKey, source: 'mpc' };
}
