/**
 * Calldata handlers for token and authority functions: ERC-20 (EIP-20) transfers and allowance
 * changes, EIP-2612 and DAI `permit` sent on-chain, ERC-721 (EIP-721) and ERC-1155 (EIP-1155)
 * transfers and operator approvals, ownership changes (Ownable, DSProxy/DSAuth, Safe owners and
 * modules, proxy admins) and proxy upgrades (EIP-1967 UUPS/transparent proxies, ProxyAdmin, old
 * Safe master copies). `actor` on each intent is whose assets or rights move: the caller, except
 * where the function names them (`transferFrom`'s `from`, a permit's `owner`).
 */
import type { Address, Hex, Intent } from '../types.js';
import { type CallContext, type CallHandler, childPath, defineCall, lower, uint } from './calldata-core.js';

const MAX_UINT256 = (1n << 256n) - 1n;

type ApprovalMethod = Extract<Intent, { kind: 'approval' }>['method'];

function approval(method: ApprovalMethod, standard: 'erc20' | 'ambiguous') {
  return (args: readonly [string, bigint], call: CallContext): Intent[] => [
    {
      kind: 'approval',
      standard,
      method,
      token: call.to,
      spender: lower(args[0]),
      amount: uint(args[1]),
      path: call.path,
      actor: call.actor,
    },
  ];
}

function ownershipChange(newOwner: string, call: CallContext, contract: Address = call.to): Intent {
  return {
    kind: 'ownership-change',
    contract,
    newOwner: lower(newOwner),
    method: call.signature,
    path: call.path,
    actor: call.actor,
  };
}

function upgrade(implementation: string, call: CallContext, contract: Address = call.to): Intent {
  return {
    kind: 'upgrade',
    contract,
    implementation: lower(implementation),
    method: call.signature,
    path: call.path,
    actor: call.actor,
  };
}

/** The initialiser an upgrade runs: delegatecalled by the proxy, so it acts as the proxy with the caller as sender. */
function upgradeCall(proxy: Address, data: Hex, call: CallContext): Intent[] {
  if (data === '0x') return [];
  return call.inner({
    to: proxy,
    data,
    value: '0',
    actor: call.actor,
    path: childPath(call.path, call.signature.slice(0, call.signature.indexOf('('))),
    chainId: call.chainId,
  });
}

export const TOKEN_CALLS: readonly CallHandler[] = [
  // ERC-20
  defineCall('transfer(address to, uint256 amount)', ([to, amount], call) => [
    {
      kind: 'token-transfer',
      method: 'transfer',
      token: call.to,
      from: call.actor,
      to: lower(to),
      amount: uint(amount),
      path: call.path,
      actor: call.actor,
    },
  ]),
  // One selector for ERC-20 transferFrom and ERC-721 transferFrom (amount or token id).
  defineCall('transferFrom(address from, address to, uint256 amount)', ([from, to, amount], call) => [
    {
      kind: 'token-transfer',
      method: 'transferFrom',
      token: call.to,
      from: lower(from),
      to: lower(to),
      amount: uint(amount),
      path: call.path,
      actor: lower(from),
    },
  ]),
  // One selector for ERC-20 approve (amount) and ERC-721 approve (token id).
  defineCall('approve(address spender, uint256 amount)', (args, call) => approval('approve', 'ambiguous')(args, call)),
  defineCall('increaseAllowance(address spender, uint256 amount)', (args, call) =>
    approval('increaseAllowance', 'erc20')(args, call),
  ),
  defineCall('increaseApproval(address spender, uint256 amount)', (args, call) =>
    approval('increaseApproval', 'erc20')(args, call),
  ),
  defineCall('decreaseAllowance(address spender, uint256 amount)', (args, call) =>
    approval('decreaseAllowance', 'erc20')(args, call),
  ),
  defineCall('decreaseApproval(address spender, uint256 amount)', (args, call) =>
    approval('decreaseApproval', 'erc20')(args, call),
  ),
  // EIP-2612 and DAI permits submitted as transactions (anyone may relay a signed permit).
  defineCall(
    'permit(address owner, address spender, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s)',
    ([owner, spender, value, deadline], call) => [
      {
        kind: 'permit',
        scheme: 'eip2612',
        token: call.to,
        spender: lower(spender),
        owner: lower(owner),
        amount: uint(value),
        deadline: uint(deadline),
        verifyingContract: call.to,
        path: call.path,
        actor: lower(owner),
      },
    ],
  ),
  defineCall(
    'permit(address holder, address spender, uint256 nonce, uint256 expiry, bool allowed, uint8 v, bytes32 r, bytes32 s)',
    ([holder, spender, nonce, expiry, allowed], call) => [
      {
        kind: 'permit',
        scheme: 'dai',
        token: call.to,
        spender: lower(spender),
        owner: lower(holder),
        amount: allowed ? MAX_UINT256.toString() : '0',
        deadline: uint(expiry),
        nonce: uint(nonce),
        verifyingContract: call.to,
        path: call.path,
        actor: lower(holder),
      },
    ],
  ),
  // ERC-721
  defineCall('safeTransferFrom(address from, address to, uint256 tokenId)', ([from, to, id], call) => [
    nftTransfer('erc721', from, to, [id], [1n], call),
  ]),
  defineCall('safeTransferFrom(address from, address to, uint256 tokenId, bytes data)', ([from, to, id], call) => [
    nftTransfer('erc721', from, to, [id], [1n], call),
  ]),
  defineCall('setApprovalForAll(address operator, bool approved)', ([operator, approved], call) => [
    {
      kind: 'approval-for-all',
      token: call.to,
      operator: lower(operator),
      approved,
      path: call.path,
      actor: call.actor,
    },
  ]),
  // ERC-1155
  defineCall(
    'safeTransferFrom(address from, address to, uint256 id, uint256 amount, bytes data)',
    ([from, to, id, amount], call) => [nftTransfer('erc1155', from, to, [id], [amount], call)],
  ),
  defineCall(
    'safeBatchTransferFrom(address from, address to, uint256[] ids, uint256[] amounts, bytes data)',
    ([from, to, ids, amounts], call) => [nftTransfer('erc1155', from, to, ids, amounts, call)],
  ),
  // Seaport: bumps the offerer's counter, cancelling every order signed so far.
  defineCall('incrementCounter()', (_args, call) => [
    { kind: 'nonce-invalidation', scheme: 'seaport-counter', contract: call.to, path: call.path, actor: call.actor },
  ]),
  // Ownership and authority
  defineCall('setOwner(address owner)', ([owner], call) => [ownershipChange(owner, call)]),
  defineCall('transferOwnership(address newOwner)', ([owner], call) => [ownershipChange(owner, call)]),
  defineCall('changeOwner(address newOwner)', ([owner], call) => [ownershipChange(owner, call)]),
  defineCall('setAuthority(address authority)', ([authority], call) => [ownershipChange(authority, call)]),
  defineCall('setAdmin(address admin)', ([admin], call) => [ownershipChange(admin, call)]),
  defineCall('changeAdmin(address admin)', ([admin], call) => [ownershipChange(admin, call)]),
  defineCall('changeProxyAdmin(address proxy, address admin)', ([proxy, admin], call) => [
    ownershipChange(admin, call, lower(proxy)),
  ]),
  defineCall('addOwnerWithThreshold(address owner, uint256 threshold)', ([owner], call) => [
    ownershipChange(owner, call),
  ]),
  defineCall('swapOwner(address prevOwner, address oldOwner, address newOwner)', ([, , owner], call) => [
    ownershipChange(owner, call),
  ]),
  // A Safe module may execute any transaction as the Safe without owner signatures.
  defineCall('enableModule(address module)', ([module], call) => [ownershipChange(module, call)]),
  // Upgrades
  defineCall('upgradeTo(address implementation)', ([implementation], call) => [upgrade(implementation, call)]),
  defineCall('upgradeToAndCall(address implementation, bytes data)', ([implementation, data], call) => [
    upgrade(implementation, call),
    ...upgradeCall(call.to, data, call),
  ]),
  defineCall('upgrade(address proxy, address implementation)', ([proxy, implementation], call) => [
    upgrade(implementation, call, lower(proxy)),
  ]),
  defineCall('upgradeAndCall(address proxy, address implementation, bytes data)', ([proxy, impl, data], call) => [
    upgrade(impl, call, lower(proxy)),
    ...upgradeCall(lower(proxy), data, call),
  ]),
  defineCall('changeMasterCopy(address masterCopy)', ([masterCopy], call) => [upgrade(masterCopy, call)]),
];

function nftTransfer(
  standard: 'erc721' | 'erc1155',
  from: string,
  to: string,
  ids: readonly bigint[],
  amounts: readonly bigint[],
  call: CallContext,
): Intent {
  return {
    kind: 'nft-transfer',
    standard,
    token: call.to,
    from: lower(from),
    to: lower(to),
    ids: ids.map(uint),
    amounts: amounts.map(uint),
    path: call.path,
    actor: lower(from),
  };
}
