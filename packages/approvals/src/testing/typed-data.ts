/**
 * The EIP-712 documents of signed permits, as a dapp asks a wallet to sign them (JSON, integers
 * as decimal strings): EIP-2612 `Permit` on a token, and Permit2's `PermitSingle`
 * (AllowanceTransfer) and `PermitTransferFrom` (SignatureTransfer) under Permit2's domain.
 */
import { EIP2612_PERMIT_TYPE } from '../revoke.js';
import type { Address } from '../types.js';

const PERMIT2_DOMAIN_TYPE = [
  { name: 'name', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
];

export function eip2612Permit(p: {
  chainId: number;
  token: Address;
  name: string;
  owner: Address;
  spender: Address;
  value: bigint;
  nonce: bigint;
  deadline: bigint;
}) {
  return {
    domain: { name: p.name, version: '1', chainId: p.chainId, verifyingContract: p.token },
    types: {
      EIP712Domain: [
        { name: 'name', type: 'string' },
        { name: 'version', type: 'string' },
        { name: 'chainId', type: 'uint256' },
        { name: 'verifyingContract', type: 'address' },
      ],
      Permit: EIP2612_PERMIT_TYPE,
    },
    primaryType: 'Permit',
    message: {
      owner: p.owner,
      spender: p.spender,
      value: String(p.value),
      nonce: String(p.nonce),
      deadline: String(p.deadline),
    },
  };
}

export function permit2Single(p: {
  chainId: number;
  permit2: Address;
  token: Address;
  spender: Address;
  amount: bigint;
  expiration: bigint;
  nonce: bigint;
  sigDeadline: bigint;
}) {
  return {
    domain: { name: 'Permit2', chainId: p.chainId, verifyingContract: p.permit2 },
    types: {
      EIP712Domain: PERMIT2_DOMAIN_TYPE,
      PermitSingle: [
        { name: 'details', type: 'PermitDetails' },
        { name: 'spender', type: 'address' },
        { name: 'sigDeadline', type: 'uint256' },
      ],
      PermitDetails: [
        { name: 'token', type: 'address' },
        { name: 'amount', type: 'uint160' },
        { name: 'expiration', type: 'uint48' },
        { name: 'nonce', type: 'uint48' },
      ],
    },
    primaryType: 'PermitSingle',
    message: {
      details: { token: p.token, amount: String(p.amount), expiration: String(p.expiration), nonce: String(p.nonce) },
      spender: p.spender,
      sigDeadline: String(p.sigDeadline),
    },
  };
}

export function permit2Transfer(p: {
  chainId: number;
  permit2: Address;
  token: Address;
  spender: Address;
  amount: bigint;
  nonce: bigint;
  deadline: bigint;
}) {
  return {
    domain: { name: 'Permit2', chainId: p.chainId, verifyingContract: p.permit2 },
    types: {
      EIP712Domain: PERMIT2_DOMAIN_TYPE,
      PermitTransferFrom: [
        { name: 'permitted', type: 'TokenPermissions' },
        { name: 'spender', type: 'address' },
        { name: 'nonce', type: 'uint256' },
        { name: 'deadline', type: 'uint256' },
      ],
      TokenPermissions: [
        { name: 'token', type: 'address' },
        { name: 'amount', type: 'uint256' },
      ],
    },
    primaryType: 'PermitTransferFrom',
    message: {
      permitted: { token: p.token, amount: String(p.amount) },
      spender: p.spender,
      nonce: String(p.nonce),
      deadline: String(p.deadline),
    },
  };
}
