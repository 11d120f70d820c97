/**
 * Typed-data allowance signatures: EIP-2612 `Permit` (https://eips.ethereum.org/EIPS/eip-2612),
 * DAI's older `Permit(holder,…,allowed)`, and Uniswap Permit2 — AllowanceTransfer `PermitSingle` /
 * `PermitBatch` (a standing allowance, `permit` intents) and SignatureTransfer
 * `PermitTransferFrom` / `PermitBatchTransferFrom` and their witness variants (one-shot transfers,
 * `permit-transfer` intents). Type strings are Permit2's `PermitHash.sol` constants; the witness
 * variants are `_PERMIT_TRANSFER_FROM_WITNESS_TYPEHASH_STUB` followed by any witness struct. When
 * the witness is a UniswapX order, its `order` intent is emitted too.
 */
import type { Address, Intent } from '../types.js';
import type { ParsedTypedData, TypedStruct } from './typed-data-parse.js';
import {
  addressAt,
  boolAt,
  dec,
  exactSchema,
  MAX_UINT256,
  structAt,
  structIs,
  structsAt,
  type TypedDataSchema,
  typeString,
  uintAt,
  ZERO_ADDRESS,
} from './typed-data-schema.js';
import { uniswapxWitnessIntent } from './typed-data-uniswapx.js';

export const EIP2612_PERMIT = 'Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)';
export const DAI_PERMIT = 'Permit(address holder,address spender,uint256 nonce,uint256 expiry,bool allowed)';

const PERMIT_DETAILS = 'PermitDetails(address token,uint160 amount,uint48 expiration,uint48 nonce)';
const TOKEN_PERMISSIONS = 'TokenPermissions(address token,uint256 amount)';
export const PERMIT2_TYPES = {
  PermitSingle: typeString('PermitSingle(PermitDetails details,address spender,uint256 sigDeadline)', PERMIT_DETAILS),
  PermitBatch: typeString('PermitBatch(PermitDetails[] details,address spender,uint256 sigDeadline)', PERMIT_DETAILS),
  PermitTransferFrom: typeString(
    'PermitTransferFrom(TokenPermissions permitted,address spender,uint256 nonce,uint256 deadline)',
    TOKEN_PERMISSIONS,
  ),
  PermitBatchTransferFrom: typeString(
    'PermitBatchTransferFrom(TokenPermissions[] permitted,address spender,uint256 nonce,uint256 deadline)',
    TOKEN_PERMISSIONS,
  ),
} as const;

/** The token of a token-verified permit; the zero address when the domain names no contract. */
function permitToken(data: ParsedTypedData): Address {
  return data.domain.verifyingContract ?? ZERO_ADDRESS;
}

const eip2612: TypedDataSchema = exactSchema('eip2612.Permit', EIP2612_PERMIT, (data, signer) => {
  const m = data.message;
  return [
    {
      kind: 'permit',
      scheme: 'eip2612',
      path: 'message',
      actor: signer,
      token: permitToken(data),
      spender: addressAt(m, 'spender'),
      owner: addressAt(m, 'owner'),
      amount: dec(uintAt(m, 'value')),
      deadline: dec(uintAt(m, 'deadline')),
      nonce: dec(uintAt(m, 'nonce')),
      verifyingContract: data.domain.verifyingContract,
    },
  ];
});

/** DAI: `allowed` grants an unlimited allowance (2^256 − 1) or revokes it; `expiry` 0 never expires. */
const dai: TypedDataSchema = exactSchema('dai.Permit', DAI_PERMIT, (data, signer) => {
  const m = data.message;
  return [
    {
      kind: 'permit',
      scheme: 'dai',
      path: 'message',
      actor: signer,
      token: permitToken(data),
      spender: addressAt(m, 'spender'),
      owner: addressAt(m, 'holder'),
      amount: boolAt(m, 'allowed') ? dec(MAX_UINT256) : '0',
      deadline: dec(uintAt(m, 'expiry')),
      nonce: dec(uintAt(m, 'nonce')),
      verifyingContract: data.domain.verifyingContract,
    },
  ];
});

function allowance(data: ParsedTypedData, signer: Address, details: TypedStruct, path: string): Intent {
  return {
    kind: 'permit',
    scheme: 'permit2',
    path,
    actor: signer,
    token: addressAt(details, 'token', path),
    spender: addressAt(data.message, 'spender'),
    owner: signer,
    amount: dec(uintAt(details, 'amount', path)),
    expiration: dec(uintAt(details, 'expiration', path)),
    nonce: dec(uintAt(details, 'nonce', path)),
    deadline: dec(uintAt(data.message, 'sigDeadline')),
    verifyingContract: data.domain.verifyingContract,
  };
}

const permitSingle = exactSchema('permit2.PermitSingle', PERMIT2_TYPES.PermitSingle, (data, signer) => [
  allowance(data, signer, structAt(data.message, 'details'), 'message.details'),
]);

const permitBatch = exactSchema('permit2.PermitBatch', PERMIT2_TYPES.PermitBatch, (data, signer) =>
  structsAt(data.message, 'details').map(({ item, path }) => allowance(data, signer, item, path)),
);

function transfer(
  data: ParsedTypedData,
  signer: Address,
  permitted: TypedStruct,
  path: string,
  witnessType?: string,
): Intent {
  return {
    kind: 'permit-transfer',
    scheme: witnessType === undefined ? 'permit2-signature-transfer' : 'permit2-witness-transfer',
    path,
    actor: signer,
    token: addressAt(permitted, 'token', path),
    spender: addressAt(data.message, 'spender'),
    amount: dec(uintAt(permitted, 'amount', path)),
    deadline: dec(uintAt(data.message, 'deadline')),
    nonce: dec(uintAt(data.message, 'nonce')),
    witnessType,
  };
}

const permitTransferFrom = exactSchema(
  'permit2.PermitTransferFrom',
  PERMIT2_TYPES.PermitTransferFrom,
  (data, signer) => [transfer(data, signer, structAt(data.message, 'permitted'), 'message.permitted')],
);

const permitBatchTransferFrom = exactSchema(
  'permit2.PermitBatchTransferFrom',
  PERMIT2_TYPES.PermitBatchTransferFrom,
  (data, signer) => structsAt(data.message, 'permitted').map(({ item, path }) => transfer(data, signer, item, path)),
);

/**
 * `PermitWitnessTransferFrom(TokenPermissions permitted,address spender,uint256 nonce,uint256
 * deadline,W name)` for any witness struct W (and the batch form): the stub is fixed by Permit2,
 * the witness is chosen by the integrating protocol.
 */
function witnessSchema(primary: 'PermitWitnessTransferFrom' | 'PermitBatchWitnessTransferFrom'): TypedDataSchema {
  const permitted = primary === 'PermitWitnessTransferFrom' ? 'TokenPermissions' : 'TokenPermissions[]';
  const stub = [`${permitted} permitted`, 'address spender', 'uint256 nonce', 'uint256 deadline'];
  const witnessField = (data: ParsedTypedData) => {
    const fields = data.types[data.primaryType] ?? [];
    const last = fields[4];
    const stubMatches = fields.length === 5 && fields.slice(0, 4).every((f, i) => `${f.type} ${f.name}` === stub[i]);
    return stubMatches && last !== undefined && Object.hasOwn(data.types, last.type) ? last : undefined;
  };
  return {
    name: `permit2.${primary}`,
    match: (data) =>
      data.primaryType === primary &&
      witnessField(data) !== undefined &&
      structIs(data, 'TokenPermissions', TOKEN_PERMISSIONS),
    intents: (data, signer) => {
      const witness = witnessField(data);
      if (witness === undefined) return [];
      const m = data.message;
      const transfers =
        primary === 'PermitWitnessTransferFrom'
          ? [transfer(data, signer, structAt(m, 'permitted'), 'message.permitted', witness.type)]
          : structsAt(m, 'permitted').map(({ item, path }) => transfer(data, signer, item, path, witness.type));
      const order = uniswapxWitnessIntent(
        data,
        witness.type,
        structAt(m, witness.name),
        `message.${witness.name}`,
        signer,
      );
      return order === undefined ? transfers : [...transfers, order];
    },
  };
}

export const PERMIT_SCHEMAS: readonly TypedDataSchema[] = [
  eip2612,
  dai,
  permitSingle,
  permitBatch,
  permitTransferFrom,
  permitBatchTransferFrom,
  witnessSchema('PermitWitnessTransferFrom'),
  witnessSchema('PermitBatchWitnessTransferFrom'),
];
