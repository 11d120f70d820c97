/**
 * Transaction and UserOperation decoders. `normalizeTransactionRequest` reads an
 * `eth_sendTransaction` / `eth_signTransaction` object the way wallets and nodes do (JSON-RPC
 * `TransactionArgs`: `data` or `input`, `gas` or `gasLimit`, hex quantities with or without `0x`,
 * `to` absent for a creation, the EIP-2718 type given or inferred from its fields, an EIP-7702
 * `authorizationList`), refusing ambiguity — two different payloads, a chain id other than the
 * wallet's — with RISK_INVALID_REQUEST. It is synchronous, so it leaves each authorisation's
 * `authority` undefined; `normalizeTransactionRequestWithAuthorities` is the same read plus
 * signer recovery of every signed tuple (secp256k1 recovery is async in viem).
 * `decodeRawTransaction` parses a signed `eth_sendRawTransaction` payload (legacy with or without
 * EIP-155, EIP-2930, EIP-1559, EIP-4844, EIP-7702) and recovers its sender and authorities.
 * `decodeUserOperation` reads ERC-4337 v0.6 (`initCode`, `paymasterAndData`) and v0.7/v0.8
 * (`factory`, `paymaster`, `eip7702Auth`) UserOperations; the op's `callData` is a call on its
 * sender account, decoded with the sender as actor.
 */
import { BaseError } from '@custos/core';
import {
  keccak256,
  parseTransaction,
  recoverTransactionAddress,
  serializeTransaction,
  type TransactionSerialized,
} from 'viem';
import { recoverAuthorizationAddress } from 'viem/utils';
import {
  invalidRequest,
  normalizeAddressInput,
  normalizeChainIdInput,
  normalizeData,
  normalizeUint,
  uintString,
} from '../normalize.js';
import type {
  Address,
  Authorization,
  Decoded,
  Hex,
  Intent,
  NormalizedTransaction,
  NormalizedUserOperation,
} from '../types.js';
import { decodeCall } from './calldata.js';
import { byteLength, sliceHex, ZERO_ADDRESS } from './calldata-core.js';

type TransactionType = NormalizedTransaction['type'];
type DecodedTransaction = Extract<Decoded, { type: 'transaction' }>;
type TransactionMethod = DecodedTransaction['method'];

const TYPES: readonly TransactionType[] = ['legacy', 'eip2930', 'eip1559', 'eip4844', 'eip7702'];
const MAX_UINT64 = (1n << 64n) - 1n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
/** EntryPoint v0.8's `initCode` marker for an EIP-7702 account (`bytes20(0x7702)`, left-aligned). */
const EIP7702_FACTORY_MARKER: Address = '0x7702000000000000000000000000000000000000';

interface AuthorizationSignature {
  r: Hex;
  s: Hex;
  yParity: number;
}

interface ReadAuthorization {
  authorization: Authorization;
  signature: AuthorizationSignature | undefined;
}

/** A JSON object's own field; `null` reads as absent, as in JSON-RPC. */
function fieldsOf(value: unknown, name: string): (key: string) => unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidRequest(name, 'an object', value);
  }
  const record = value as Record<string, unknown>;
  return (key) => (Object.hasOwn(record, key) && record[key] !== null ? record[key] : undefined);
}

/** One value given under two names (`data`/`input`, `gas`/`gasLimit`): they must agree. */
function oneOf<T>(a: T | undefined, b: T | undefined, names: [string, string]): T | undefined {
  if (a !== undefined && b !== undefined && a !== b) {
    throw new BaseError('RISK_INVALID_REQUEST', `"${names[0]}" and "${names[1]}" differ; a wallet may send either`, {
      details: { field: names[1] },
    });
  }
  return a ?? b;
}

function hex32(value: unknown, field: string): Hex {
  return `0x${normalizeUint(value, field).toString(16).padStart(64, '0')}`;
}

/** An EIP-7702 tuple `{chainId, address, nonce, yParity|v, r, s}`; chain id 0 means every chain. */
function readAuthorization(value: unknown, field: string): ReadAuthorization {
  const get = fieldsOf(value, field);
  const chainId = Number(normalizeUint(get('chainId'), `${field}.chainId`, { max: MAX_SAFE }));
  const address = oneOf(
    get('address') === undefined ? undefined : normalizeAddressInput(get('address'), `${field}.address`),
    get('contractAddress') === undefined
      ? undefined
      : normalizeAddressInput(get('contractAddress'), `${field}.contractAddress`),
    ['address', 'contractAddress'],
  );
  if (address === undefined) throw invalidRequest(`${field}.address`, 'an address', undefined);
  const nonce = uintString(get('nonce'), `${field}.nonce`, { max: MAX_UINT64 });
  const authorization: Authorization = { chainId, address, nonce };
  const [r, s, parity, v] = [get('r'), get('s'), get('yParity'), get('v')];
  if (r === undefined && s === undefined && parity === undefined && v === undefined) {
    return { authorization, signature: undefined };
  }
  if (r === undefined || s === undefined || (parity === undefined && v === undefined)) {
    throw invalidRequest(field, 'a complete signature (r, s and yParity) or none', value);
  }
  const yParity = oneOf(
    parity === undefined ? undefined : Number(normalizeUint(parity, `${field}.yParity`, { max: 1n })),
    v === undefined ? undefined : legacyParity(normalizeUint(v, `${field}.v`, { max: 28n }), `${field}.v`),
    ['yParity', 'v'],
  ) as number;
  return { authorization, signature: { r: hex32(r, `${field}.r`), s: hex32(s, `${field}.s`), yParity } };
}

function legacyParity(v: bigint, field: string): number {
  if (v === 0n || v === 1n) return Number(v);
  if (v === 27n || v === 28n) return Number(v - 27n);
  throw invalidRequest(field, '0, 1, 27 or 28', v.toString());
}

function readAuthorizationList(value: unknown, field: string): ReadAuthorization[] {
  if (!Array.isArray(value)) throw invalidRequest(field, 'an array of authorisations', value);
  return value.map((item, i) => readAuthorization(item, `${field}[${i}]`));
}

function readType(get: (key: string) => unknown): TransactionType | undefined {
  const type = get('type');
  if (type === undefined) return undefined;
  if (typeof type === 'string' && (TYPES as readonly string[]).includes(type)) return type as TransactionType;
  return TYPES[Number(normalizeUint(type, 'type', { max: 4n }))];
}

/** The EIP-2718 type a node would build from these fields (geth's `TransactionArgs` order). */
function inferType(get: (key: string) => unknown): TransactionType {
  if (get('authorizationList') !== undefined) return 'eip7702';
  if (get('blobVersionedHashes') !== undefined || get('maxFeePerBlobGas') !== undefined) return 'eip4844';
  if (get('maxFeePerGas') !== undefined || get('maxPriorityFeePerGas') !== undefined) return 'eip1559';
  if (get('gasPrice') !== undefined) return get('accessList') !== undefined ? 'eip2930' : 'legacy';
  return 'eip1559';
}

function readTransaction(
  tx: unknown,
  chainId: number,
): { transaction: NormalizedTransaction; auths: ReadAuthorization[] } {
  const get = fieldsOf(tx, 'transaction');
  const from = get('from') === undefined ? undefined : normalizeAddressInput(get('from'), 'from');
  const data =
    oneOf(
      get('data') === undefined ? undefined : normalizeData(get('data'), 'data'),
      get('input') === undefined ? undefined : normalizeData(get('input'), 'input'),
      ['data', 'input'],
    ) ?? '0x';
  const rawTo = get('to');
  // MetaMask reads `to: "0x"` (or empty) with data as a contract creation.
  const creation = rawTo === undefined || rawTo === '' || rawTo === '0x';
  if (creation && data === '0x') throw invalidRequest('to', 'an address (or data for a contract creation)', rawTo);
  const to = creation ? undefined : normalizeAddressInput(rawTo, 'to');
  const value = get('value') === undefined ? '0' : uintString(get('value'), 'value');
  const gas = oneOf(
    get('gas') === undefined ? undefined : uintString(get('gas'), 'gas'),
    get('gasLimit') === undefined ? undefined : uintString(get('gasLimit'), 'gasLimit'),
    ['gas', 'gasLimit'],
  );
  const nonce = get('nonce') === undefined ? undefined : uintString(get('nonce'), 'nonce', { max: MAX_UINT64 });
  if (get('chainId') !== undefined) assertChain(normalizeChainIdInput(get('chainId'), 'chainId'), chainId);

  const explicit = readType(get);
  const inferred = inferType(get);
  if (inferred === 'eip7702' && explicit !== undefined && explicit !== 'eip7702') {
    // A node builds a set-code transaction from the list whatever `type` says; never hide it.
    throw invalidRequest('type', '0x4 (the request carries an authorizationList)', get('type'));
  }
  const auths =
    get('authorizationList') === undefined ? [] : readAuthorizationList(get('authorizationList'), 'authorizationList');
  const transaction: NormalizedTransaction = {
    chainId,
    from,
    to,
    value,
    data,
    nonce,
    gas,
    type: explicit ?? inferred,
    ...(get('authorizationList') === undefined ? {} : { authorizationList: auths.map((a) => a.authorization) }),
  };
  return { transaction, auths };
}

function assertChain(requested: number, chainId: number): void {
  if (requested !== chainId) {
    throw new BaseError(
      'RISK_INVALID_REQUEST',
      `"chainId" of the transaction is ${requested} but the wallet is on chain ${chainId}`,
      { details: { field: 'chainId', requested, chainId } },
    );
  }
}

/**
 * An `eth_sendTransaction` / `eth_signTransaction` object, normalised. Synchronous: signed
 * authorisation tuples keep `authority` undefined (see `normalizeTransactionRequestWithAuthorities`).
 */
export function normalizeTransactionRequest(tx: unknown, chainId: number): NormalizedTransaction {
  return readTransaction(tx, chainId).transaction;
}

/** `normalizeTransactionRequest`, plus the signer of every signed authorisation tuple recovered. */
export async function normalizeTransactionRequestWithAuthorities(
  tx: unknown,
  chainId: number,
): Promise<NormalizedTransaction> {
  const { transaction, auths } = readTransaction(tx, chainId);
  if (transaction.authorizationList === undefined) return transaction;
  const authorizationList = await Promise.all(
    auths.map(async ({ authorization, signature }) => ({
      ...authorization,
      authority: signature === undefined ? undefined : await recoverAuthority(authorization, signature),
    })),
  );
  return { ...transaction, authorizationList };
}

/**
 * The EOA that signed a tuple, or undefined when the signature recovers to no key: the protocol
 * skips such a tuple, so it delegates nobody.
 */
async function recoverAuthority(
  authorization: Authorization,
  signature: AuthorizationSignature,
): Promise<Address | undefined> {
  const nonce = BigInt(authorization.nonce);
  // No account reaches a nonce past 2^53, so such a tuple never applies (and viem takes a number).
  if (nonce > MAX_SAFE) return undefined;
  try {
    const authority = await recoverAuthorizationAddress({
      authorization: { address: authorization.address, chainId: authorization.chainId, nonce: Number(nonce) },
      signature,
    });
    return authority.toLowerCase() as Address;
  } catch {
    // An unrecoverable signature is what the chain ignores; report the tuple without a signer.
    return undefined;
  }
}

function delegationIntents(authorizations: readonly Authorization[], path: string): Intent[] {
  return authorizations.map((a, i) => ({
    kind: 'delegation',
    delegate: a.address,
    chainId: a.chainId,
    authority: a.authority,
    nonce: a.nonce,
    path: `${path}[${i}]`,
    actor: a.authority,
  }));
}

/** What a normalised transaction would do: its call (or creation), then each EIP-7702 delegation. */
export function decodeTransaction(tx: NormalizedTransaction, method: TransactionMethod): DecodedTransaction {
  const intents: Intent[] =
    tx.to === undefined
      ? [
          {
            kind: 'contract-call',
            to: ZERO_ADDRESS,
            selector: '0x',
            signature: 'contract creation',
            value: tx.value,
            path: 'tx',
            actor: tx.from,
          },
        ]
      : decodeCall({ to: tx.to, data: tx.data, value: tx.value, actor: tx.from, path: 'tx', chainId: tx.chainId });
  intents.push(...delegationIntents(tx.authorizationList ?? [], 'authorizationList'));
  return { type: 'transaction', method, transaction: tx, intents };
}

function invalidRaw(message: string, cause?: unknown): BaseError {
  return new BaseError('RISK_INVALID_REQUEST', `"raw" ${message}`, {
    details: { field: 'raw' },
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * A signed `eth_sendRawTransaction` payload: parsed, sender and authorities recovered, hash
 * computed. A chain id other than the wallet's is refused; a pre-EIP-155 legacy transaction has
 * none (it is valid on every chain) and is accepted with the wallet's chain id recorded.
 */
export async function decodeRawTransaction(raw: unknown, chainId: number): Promise<Decoded> {
  if (typeof raw !== 'string') throw invalidRequest('raw', 'a signed transaction (0x-hex)', raw);
  const bytes = normalizeData(raw, 'raw');
  let parsed: ReturnType<typeof parseTransaction>;
  try {
    parsed = parseTransaction(bytes);
  } catch (cause) {
    throw invalidRaw('is not an encoded transaction', cause);
  }
  if (parsed.r === undefined || parsed.s === undefined) throw invalidRaw('is an unsigned transaction');
  let from: Address;
  try {
    from = (
      await recoverTransactionAddress({ serializedTransaction: bytes as TransactionSerialized })
    ).toLowerCase() as Address;
  } catch (cause) {
    throw invalidRaw('carries a signature that recovers to no key', cause);
  }
  if (parsed.chainId !== undefined) assertChain(parsed.chainId, chainId);

  const signed = 'authorizationList' in parsed ? (parsed.authorizationList ?? []) : [];
  const authorizationList = await Promise.all(
    signed.map(async (tuple) => {
      const authorization: Authorization = {
        chainId: tuple.chainId,
        address: tuple.address.toLowerCase() as Address,
        nonce: BigInt(tuple.nonce).toString(),
      };
      const signature = { r: tuple.r, s: tuple.s, yParity: tuple.yParity ?? Number(tuple.v === 28n) };
      return { ...authorization, authority: await recoverAuthority(authorization, signature) };
    }),
  );
  const transaction: NormalizedTransaction = {
    chainId,
    from,
    to: parsed.to ? (parsed.to.toLowerCase() as Address) : undefined,
    value: (parsed.value ?? 0n).toString(),
    data: normalizeData(parsed.data ?? '0x', 'raw.data'),
    nonce: parsed.nonce === undefined ? undefined : BigInt(parsed.nonce).toString(),
    gas: parsed.gas === undefined ? undefined : parsed.gas.toString(),
    type: parsed.type ?? 'legacy',
    ...(parsed.type === 'eip7702' ? { authorizationList } : {}),
  };
  const decoded = decodeTransaction(transaction, 'eth_sendRawTransaction');
  return { ...decoded, hash: transactionHash(bytes, parsed) };
}

/** keccak256 of the signed payload; a blob transaction's network wrapper (blobs, proofs) is not hashed. */
function transactionHash(bytes: Hex, parsed: ReturnType<typeof parseTransaction>): Hex {
  if (parsed.type !== 'eip4844' || parsed.sidecars === undefined || parsed.sidecars === false) return keccak256(bytes);
  const { r, s, yParity, sidecars: _sidecars, ...fields } = parsed;
  if (r === undefined || s === undefined) return keccak256(bytes);
  return keccak256(serializeTransaction(fields, { r, s, yParity: yParity ?? 0 }));
}

/** The first 20 bytes of a v0.6 `initCode` / `paymasterAndData`, if any. */
function leadingAddress(value: unknown, field: string): Address | undefined {
  const data = normalizeData(value, field);
  if (data === '0x') return undefined;
  if (byteLength(data) < 20) throw invalidRequest(field, 'empty, or an address followed by data', value);
  return sliceHex(data, 0, 20) as Address;
}

function optionalAddress(value: unknown, field: string): Address | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && /^0x7702$/i.test(value.trim())) return EIP7702_FACTORY_MARKER;
  return normalizeAddressInput(value, field);
}

/** An ERC-4337 UserOperation (v0.6 or v0.7/v0.8 RPC form), normalised. */
export function normalizeUserOperation(userOp: unknown, entryPoint?: unknown): NormalizedUserOperation {
  const get = fieldsOf(userOp, 'userOperation');
  const sender = normalizeAddressInput(get('sender'), 'sender');
  const nonce = uintString(get('nonce'), 'nonce');
  const callData = normalizeData(get('callData'), 'callData');
  const factory = oneOf(
    optionalAddress(get('factory'), 'factory'),
    get('initCode') === undefined ? undefined : leadingAddress(get('initCode'), 'initCode'),
    ['factory', 'initCode'],
  );
  const paymaster = oneOf(
    optionalAddress(get('paymaster'), 'paymaster'),
    get('paymasterAndData') === undefined ? undefined : leadingAddress(get('paymasterAndData'), 'paymasterAndData'),
    ['paymaster', 'paymasterAndData'],
  );
  return {
    sender,
    nonce,
    callData,
    entryPoint:
      entryPoint === undefined || entryPoint === null ? undefined : normalizeAddressInput(entryPoint, 'entryPoint'),
    paymaster,
    factory,
  };
}

/**
 * `eth_sendUserOperation` params `[userOperation, entryPoint]`. An EntryPoint v0.8 `eip7702Auth`
 * tuple becomes a delegation intent for the sender (its signer is not recovered here).
 */
export function decodeUserOperation(params: unknown, chainId: number): Decoded {
  if (!Array.isArray(params) || params.length < 1) {
    throw invalidRequest('params', '[userOperation, entryPoint]', params);
  }
  const [op, entryPoint] = params as [unknown, unknown];
  const userOperation = normalizeUserOperation(op, entryPoint);
  const { sender } = userOperation;
  const intents = decodeCall({
    to: sender,
    data: userOperation.callData,
    value: '0',
    actor: sender,
    path: 'userOperation',
    chainId,
  });
  const auth = fieldsOf(op, 'userOperation')('eip7702Auth');
  if (auth !== undefined) {
    const { authorization } = readAuthorization(auth, 'eip7702Auth');
    intents.push({
      kind: 'delegation',
      delegate: authorization.address,
      chainId: authorization.chainId,
      nonce: authorization.nonce,
      path: 'userOperation.eip7702Auth',
      actor: sender,
    });
  }
  return { type: 'user-operation', userOperation, intents };
}
