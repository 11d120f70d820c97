/**
 * Calldata handlers for Uniswap Permit2 (github.com/Uniswap/permit2, `IAllowanceTransfer` and
 * `ISignatureTransfer`), matched by selector whatever the target address (forks and fakes
 * included). AllowanceTransfer `approve` and signed `permit` (single and batch) grant standing
 * allowances → `permit` intents; `transferFrom` spends them → `permit2-transfer-from`; `lockdown`
 * and the nonce invalidations revoke. SignatureTransfer `permitTransferFrom` (single, batch and
 * witness variants) moves tokens once → `permit-transfer`, whose spender is the caller
 * (SignatureTransfer checks the signature against `msg.sender`) and whose amount is the
 * `requestedAmount` the call moves (never more than the signed `permitted.amount`).
 *
 * Struct layouts: PermitDetails(address token,uint160 amount,uint48 expiration,uint48 nonce);
 * PermitSingle(PermitDetails details,address spender,uint256 sigDeadline); PermitBatch(PermitDetails[]
 * details,address spender,uint256 sigDeadline); TokenPermissions(address token,uint256 amount);
 * PermitTransferFrom(TokenPermissions permitted,uint256 nonce,uint256 deadline);
 * SignatureTransferDetails(address to,uint256 requestedAmount);
 * AllowanceTransferDetails(address from,address to,uint160 amount,address token).
 */
import type { Address, Intent } from '../types.js';
import {
  type CallContext,
  type CallHandler,
  decodeFailed,
  defineCall,
  lower,
  uint,
  ZERO_ADDRESS,
} from './calldata-core.js';

/** Human-readable tuple texts shared with the Universal Router decoder. */
export const PERMIT_DETAILS = '(address token, uint160 amount, uint48 expiration, uint48 nonce)';
export const PERMIT_SINGLE = `(${PERMIT_DETAILS} details, address spender, uint256 sigDeadline)`;
export const PERMIT_BATCH = `(${PERMIT_DETAILS}[] details, address spender, uint256 sigDeadline)`;
export const ALLOWANCE_TRANSFER_DETAILS = '(address from, address to, uint160 amount, address token)';
const TOKEN_PERMISSIONS = '(address token, uint256 amount)';
const TRANSFER_DETAILS = '(address to, uint256 requestedAmount)';

interface PermitDetails {
  token: string;
  amount: bigint;
  expiration: number;
  nonce: number;
}

/** One `permit` intent per PermitDetails of a signed PermitSingle/PermitBatch. */
export function permit2Permits(
  owner: Address | undefined,
  permit: { details: readonly PermitDetails[]; spender: string; sigDeadline: bigint },
  verifyingContract: Address,
  call: Pick<CallContext, 'path'>,
): Intent[] {
  return permit.details.map((detail) => ({
    kind: 'permit',
    scheme: 'permit2',
    token: lower(detail.token),
    spender: lower(permit.spender),
    owner,
    amount: uint(detail.amount),
    deadline: uint(permit.sigDeadline),
    expiration: uint(detail.expiration),
    nonce: uint(detail.nonce),
    verifyingContract,
    path: call.path,
    actor: owner,
  }));
}

/** One `permit2-transfer-from` per AllowanceTransferDetails. */
export function permit2TransfersFrom(
  transfers: readonly { from: string; to: string; amount: bigint; token: string }[],
  call: Pick<CallContext, 'path'>,
): Intent[] {
  return transfers.map((transfer) => ({
    kind: 'permit2-transfer-from',
    token: lower(transfer.token),
    from: lower(transfer.from),
    to: lower(transfer.to),
    amount: uint(transfer.amount),
    path: call.path,
    actor: lower(transfer.from),
  }));
}

interface SignatureTransfer {
  permitted: readonly { token: string; amount: bigint }[];
  nonce: bigint;
  deadline: bigint;
  transfers: readonly { to: string; requestedAmount: bigint }[];
  owner: string;
  witnessType?: string;
}

function signatureTransfers(transfer: SignatureTransfer, call: CallContext): Intent[] {
  const owner = lower(transfer.owner);
  // ISignatureTransfer reverts on a length mismatch; pairing them loosely could under-report.
  if (transfer.permitted.length !== transfer.transfers.length) {
    const counts = `${transfer.permitted.length} permissions with ${transfer.transfers.length} transfer details`;
    throw decodeFailed(call, undefined, undefined, `pairs ${counts}`);
  }
  return transfer.permitted.map((permitted, i) => {
    const detail = transfer.transfers[i] as { to: string; requestedAmount: bigint };
    return {
      kind: 'permit-transfer',
      scheme: transfer.witnessType === undefined ? 'permit2-signature-transfer' : 'permit2-witness-transfer',
      token: lower(permitted.token),
      spender: call.actor ?? ZERO_ADDRESS,
      amount: uint(detail.requestedAmount),
      to: lower(detail.to),
      deadline: uint(transfer.deadline),
      nonce: uint(transfer.nonce),
      witnessType: transfer.witnessType,
      path: call.path,
      actor: owner,
    };
  });
}

export const PERMIT2_CALLS: readonly CallHandler[] = [
  defineCall(
    'approve(address token, address spender, uint160 amount, uint48 expiration)',
    ([token, spender, amount, expiration], call) => [
      {
        kind: 'permit',
        scheme: 'permit2',
        token: lower(token),
        spender: lower(spender),
        owner: call.actor,
        amount: uint(amount),
        expiration: uint(expiration),
        verifyingContract: call.to,
        path: call.path,
        actor: call.actor,
      },
    ],
  ),
  defineCall(`permit(address owner, ${PERMIT_SINGLE} permitSingle, bytes signature)`, ([owner, single], call) =>
    permit2Permits(lower(owner), { ...single, details: [single.details] }, call.to, call),
  ),
  defineCall(`permit(address owner, ${PERMIT_BATCH} permitBatch, bytes signature)`, ([owner, batch], call) =>
    permit2Permits(lower(owner), batch, call.to, call),
  ),
  defineCall('lockdown((address token, address spender)[] approvals)', ([pairs], call) => [
    {
      kind: 'permit2-lockdown',
      pairs: pairs.map((pair) => ({ token: lower(pair.token), spender: lower(pair.spender) })),
      path: call.path,
      actor: call.actor,
    },
  ]),
  defineCall('invalidateNonces(address token, address spender, uint48 newNonce)', (_args, call) => [
    { kind: 'nonce-invalidation', scheme: 'permit2-nonces', contract: call.to, path: call.path, actor: call.actor },
  ]),
  defineCall('invalidateUnorderedNonces(uint256 wordPos, uint256 mask)', (_args, call) => [
    {
      kind: 'nonce-invalidation',
      scheme: 'permit2-unordered-nonces',
      contract: call.to,
      path: call.path,
      actor: call.actor,
    },
  ]),
  defineCall(
    'transferFrom(address from, address to, uint160 amount, address token)',
    ([from, to, amount, token], call) => permit2TransfersFrom([{ from, to, amount, token }], call),
  ),
  defineCall(`transferFrom(${ALLOWANCE_TRANSFER_DETAILS}[] transferDetails)`, ([transfers], call) =>
    permit2TransfersFrom(transfers, call),
  ),
  defineCall(
    `permitTransferFrom((${TOKEN_PERMISSIONS} permitted, uint256 nonce, uint256 deadline) permit, ${TRANSFER_DETAILS} transferDetails, address owner, bytes signature)`,
    ([permit, detail, owner], call) =>
      signatureTransfers({ ...permit, permitted: [permit.permitted], transfers: [detail], owner }, call),
  ),
  defineCall(
    `permitTransferFrom((${TOKEN_PERMISSIONS}[] permitted, uint256 nonce, uint256 deadline) permit, ${TRANSFER_DETAILS}[] transferDetails, address owner, bytes signature)`,
    ([permit, details, owner], call) => signatureTransfers({ ...permit, transfers: details, owner }, call),
  ),
  defineCall(
    `permitWitnessTransferFrom((${TOKEN_PERMISSIONS} permitted, uint256 nonce, uint256 deadline) permit, ${TRANSFER_DETAILS} transferDetails, address owner, bytes32 witness, string witnessTypeString, bytes signature)`,
    ([permit, detail, owner, , witnessType], call) =>
      signatureTransfers(
        { ...permit, permitted: [permit.permitted], transfers: [detail], owner, witnessType: witnessType },
        call,
      ),
  ),
  defineCall(
    `permitWitnessTransferFrom((${TOKEN_PERMISSIONS}[] permitted, uint256 nonce, uint256 deadline) permit, ${TRANSFER_DETAILS}[] transferDetails, address owner, bytes32 witness, string witnessTypeString, bytes signature)`,
    ([permit, details, owner, , witnessType], call) =>
      signatureTransfers({ ...permit, transfers: details, owner, witnessType }, call),
  ),
];
