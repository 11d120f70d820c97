/**
 * Tests of our Permit2 implementation at the canonical address. Permits are produced by
 * @uniswap/permit2-sdk (AllowanceTransfer.getPermitData / SignatureTransfer.getPermitData) and
 * signed with viem, so the EIP-712 encoding is checked against Uniswap's, not against our own
 * reading of it. Covers the ABI (selectors and topics versus the SDK's ABI and the canonical
 * deployment), the happy paths and the refusals: expired deadline, replayed or invalidated nonce,
 * wrong signer, amount over allowance, expired allowance, lockdown, and EIP-1271 contract signers.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as Permit2Sdk from '@uniswap/permit2-sdk';
import {
  type Abi,
  type AbiEvent,
  type AbiFunction,
  type Address,
  ContractFunctionRevertedError,
  domainSeparator,
  type Hex,
  hashStruct,
  maxUint160,
  maxUint256,
  parseSignature,
  serializeCompactSignature,
  signatureToCompactSignature,
  toEventSelector,
  toEventSignature,
  toFunctionSelector,
  toFunctionSignature,
  BaseError as ViemBaseError,
} from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownArtifact } from './artifacts.js';
import { type DevChain, startDevChain } from './devchain.js';
import { PERMIT2_ADDRESS } from './fixtures.js';
import { type DevWallet, devPublicClient, devWallet, devWrite } from './testing/clients.js';

// The SDK's ESM build has extension-less imports Node cannot load; its CommonJS build is fine.
const require = createRequire(import.meta.url);
const sdk = require('@uniswap/permit2-sdk') as typeof Permit2Sdk;
// The SDK's package exports hide its ABI file; it sits beside the CommonJS entry point.
const sdkAbi = JSON.parse(
  readFileSync(join(dirname(require.resolve('@uniswap/permit2-sdk')), '..', 'abis', 'Permit2.json'), 'utf8'),
) as Abi;

const permit2Abi = ownArtifact('CustosPermit2').abi;
const erc20Abi = ownArtifact('DevUSD').abi;
const walletArtifact = ownArtifact('DevERC1271Wallet');

/** Canonical Permit2 (mainnet 0x000000000022D473030F116dDEE9F6B43aC78BA3) external functions. */
const CANONICAL_FUNCTIONS = [
  'DOMAIN_SEPARATOR()',
  'allowance(address,address,address)',
  'approve(address,address,uint160,uint48)',
  'invalidateNonces(address,address,uint48)',
  'invalidateUnorderedNonces(uint256,uint256)',
  'lockdown((address,address)[])',
  'nonceBitmap(address,uint256)',
  'permit(address,((address,uint160,uint48,uint48),address,uint256),bytes)',
  'permit(address,((address,uint160,uint48,uint48)[],address,uint256),bytes)',
  'permitTransferFrom(((address,uint256),uint256,uint256),(address,uint256),address,bytes)',
  'permitTransferFrom(((address,uint256)[],uint256,uint256),(address,uint256)[],address,bytes)',
  'permitWitnessTransferFrom(((address,uint256),uint256,uint256),(address,uint256),address,bytes32,string,bytes)',
  'permitWitnessTransferFrom(((address,uint256)[],uint256,uint256),(address,uint256)[],address,bytes32,string,bytes)',
  'transferFrom(address,address,uint160,address)',
  'transferFrom((address,address,uint160,address)[])',
] as const;
const CANONICAL_EVENTS = [
  'Approval(address,address,address,uint160,uint48)',
  'Permit(address,address,address,uint160,uint48,uint48)',
  'Lockdown(address,address,address)',
  'NonceInvalidation(address,address,address,uint48,uint48)',
  'UnorderedNonceInvalidation(address,uint256,uint256)',
] as const;

let chain: DevChain;
let token: Address;

function client() {
  return devPublicClient(chain);
}

function wallet(index: number) {
  return devWallet(chain, index);
}

type Wallet = DevWallet;

function write(
  from: Wallet,
  address: Address,
  abi: Abi,
  functionName: string,
  args: readonly unknown[],
  value?: bigint,
): Promise<void> {
  return devWrite(chain, from, { address, abi, functionName, args, ...(value === undefined ? {} : { value }) });
}

/** Runs a call as `from` and returns the custom error name it reverts with. */
async function revertName(
  from: Wallet,
  functionName: string,
  args: readonly unknown[],
  address: Address = PERMIT2_ADDRESS,
): Promise<string> {
  try {
    await client().simulateContract({ account: from.account, address, abi: permit2Abi, functionName, args });
  } catch (error) {
    const reverted =
      error instanceof ViemBaseError ? error.walk((e) => e instanceof ContractFunctionRevertedError) : null;
    if (reverted instanceof ContractFunctionRevertedError)
      return reverted.data?.errorName ?? reverted.reason ?? 'unknown';
    throw error;
  }
  throw new Error(`${functionName} did not revert`);
}

async function balance(owner: Address, asset: Address = token): Promise<bigint> {
  return (await client().readContract({
    address: asset,
    abi: erc20Abi,
    functionName: 'balanceOf',
    args: [owner],
  })) as bigint;
}

async function now(): Promise<bigint> {
  return (await client().getBlock()).timestamp;
}

async function allowance(
  owner: Address,
  spender: Address,
  asset: Address = token,
): Promise<readonly [bigint, number, number]> {
  return (await client().readContract({
    address: PERMIT2_ADDRESS,
    abi: permit2Abi,
    functionName: 'allowance',
    args: [owner, asset, spender],
  })) as readonly [bigint, number, number];
}

/** Signs SDK-produced typed data with viem. The SDK returns ethers-style `values`. */
async function signSdkData(
  signer: Wallet,
  data: { domain: object; types: Record<string, { name: string; type: string }[]>; values: unknown },
  primaryType: string,
): Promise<Hex> {
  return signer.signTypedData({
    domain: data.domain as { name: string; chainId: number; verifyingContract: Address },
    types: data.types,
    primaryType,
    message: data.values as Record<string, unknown>,
  });
}

function permitSingle(amount: bigint, expiration: number, nonce: number, spender: Address, sigDeadline: bigint) {
  return { details: { token, amount, expiration, nonce }, spender, sigDeadline };
}

async function signPermitSingle(signer: Wallet, permit: ReturnType<typeof permitSingle>): Promise<Hex> {
  const data = sdk.AllowanceTransfer.getPermitData(permit, sdk.PERMIT2_ADDRESS, chain.chainId);
  return signSdkData(signer, data as Parameters<typeof signSdkData>[1], 'PermitSingle');
}

function transferPermit(amount: bigint, nonce: bigint, deadline: bigint, spender: Address) {
  return { permitted: { token, amount }, spender, nonce, deadline };
}

async function signTransfer(
  signer: Wallet,
  permit: ReturnType<typeof transferPermit>,
  witness?: Permit2Sdk.Witness,
): Promise<Hex> {
  const data = sdk.SignatureTransfer.getPermitData(permit, sdk.PERMIT2_ADDRESS, chain.chainId, witness);
  return signSdkData(
    signer,
    data as Parameters<typeof signSdkData>[1],
    witness === undefined ? 'PermitTransferFrom' : 'PermitWitnessTransferFrom',
  );
}

/** The on-chain struct omits `spender`: Permit2 binds msg.sender into the hash instead. */
function onChain(permit: ReturnType<typeof transferPermit>) {
  return { permitted: permit.permitted, nonce: permit.nonce, deadline: permit.deadline };
}

beforeAll(async () => {
  chain = await startDevChain({ port: 0 });
  token = chain.contracts.erc20;
  // Owners approve Permit2 once on the token, as wallets do.
  for (const index of [0, 2, 6]) {
    await write(wallet(index), token, erc20Abi, 'approve', [PERMIT2_ADDRESS, maxUint256]);
  }
});

afterAll(async () => {
  await chain.close();
});

describe('ABI', () => {
  const functions = permit2Abi.filter((x): x is AbiFunction => x.type === 'function');
  const events = permit2Abi.filter((x): x is AbiEvent => x.type === 'event');
  const ourSelectors = new Set(functions.map((f) => toFunctionSelector(f)));
  const ourTopics = new Set(events.map((e) => toEventSelector(e)));

  it("has every function selector and event topic of the SDK's Permit2 ABI", () => {
    const sdkFunctions = sdkAbi.filter((x): x is AbiFunction => x.type === 'function');
    const sdkEvents = sdkAbi.filter((x): x is AbiEvent => x.type === 'event');
    expect(sdkFunctions).toHaveLength(15);
    for (const f of sdkFunctions) expect(ourSelectors, toFunctionSignature(f)).toContain(toFunctionSelector(f));
    for (const e of sdkEvents) expect(ourTopics, toEventSignature(e)).toContain(toEventSelector(e));
    // Nothing of ours is unknown to the SDK by name, and output shapes agree.
    const sdkNames = new Set(sdkFunctions.map((f) => f.name));
    for (const f of functions) expect(sdkNames, f.name).toContain(f.name);
    const allowanceOut = functions.find((f) => f.name === 'allowance')?.outputs.map((o) => o.type);
    expect(allowanceOut).toEqual(['uint160', 'uint48', 'uint48']);
  });

  it('has every selector and topic of the canonical Permit2 deployment', () => {
    for (const signature of CANONICAL_FUNCTIONS)
      expect(ourSelectors, signature).toContain(toFunctionSelector(signature));
    for (const signature of CANONICAL_EVENTS) expect(ourTopics, signature).toContain(toEventSelector(signature));
  });

  it('computes the EIP-712 domain of Permit2 (no version) from chain id and its address', async () => {
    const onChainSeparator = await client().readContract({
      address: PERMIT2_ADDRESS,
      abi: permit2Abi,
      functionName: 'DOMAIN_SEPARATOR',
    });
    const domain = sdk.AllowanceTransfer.getPermitData(
      permitSingle(1n, 0, 0, PERMIT2_ADDRESS, 0n),
      PERMIT2_ADDRESS,
      chain.chainId,
    ).domain;
    expect(domain).toEqual({ name: 'Permit2', chainId: 31337, verifyingContract: PERMIT2_ADDRESS });
    expect(onChainSeparator).toBe(
      domainSeparator({ domain: { name: 'Permit2', chainId: 31337, verifyingContract: PERMIT2_ADDRESS } }),
    );
  });
});

describe('AllowanceTransfer', () => {
  it('redeems an SDK PermitSingle via permit() then transferFrom()', async () => {
    const owner = wallet(0);
    const spender = wallet(1);
    const to = chain.accounts[7]?.address ?? PERMIT2_ADDRESS;
    const expiration = Number(await now()) + 3600;
    const permit = permitSingle(1_000_000n, expiration, 0, spender.account.address, (await now()) + 600n);
    const signature = await signPermitSingle(owner, permit);
    await write(spender, PERMIT2_ADDRESS, permit2Abi, 'permit', [owner.account.address, permit, signature]);
    expect(await allowance(owner.account.address, spender.account.address)).toEqual([1_000_000n, expiration, 1]);

    const before = await balance(to);
    await write(spender, PERMIT2_ADDRESS, permit2Abi, 'transferFrom', [owner.account.address, to, 400_000n, token]);
    expect((await balance(to)) - before).toBe(400_000n);
    expect((await allowance(owner.account.address, spender.account.address))[0]).toBe(600_000n);

    // Must-reject: the same signature again (nonce 0 is spent), and more than what is left.
    expect(await revertName(spender, 'permit', [owner.account.address, permit, signature])).toBe('InvalidNonce');
    expect(await revertName(spender, 'transferFrom', [owner.account.address, to, 600_001n, token])).toBe(
      'InsufficientAllowance',
    );
  });

  it('accepts an EIP-2098 compact (64-byte) signature', async () => {
    const owner = wallet(0);
    const spender = wallet(3);
    const permit = permitSingle(5n, Number(await now()) + 3600, 0, spender.account.address, (await now()) + 600n);
    const compact = serializeCompactSignature(
      signatureToCompactSignature(parseSignature(await signPermitSingle(owner, permit))),
    );
    expect((compact.length - 2) / 2).toBe(64);
    await write(spender, PERMIT2_ADDRESS, permit2Abi, 'permit', [owner.account.address, permit, compact]);
    expect((await allowance(owner.account.address, spender.account.address))[0]).toBe(5n);
  });

  it('rejects an expired signature deadline, a wrong signer and a wrong nonce', async () => {
    const owner = wallet(2);
    const spender = wallet(1);
    const expiration = Number(await now()) + 3600;
    const expired = permitSingle(1n, expiration, 0, spender.account.address, (await now()) - 1n);
    expect(
      await revertName(spender, 'permit', [owner.account.address, expired, await signPermitSingle(owner, expired)]),
    ).toBe('SignatureExpired');
    const valid = permitSingle(1n, expiration, 0, spender.account.address, (await now()) + 600n);
    const byStranger = await signPermitSingle(wallet(5), valid);
    expect(await revertName(spender, 'permit', [owner.account.address, valid, byStranger])).toBe('InvalidSigner');
    const wrongNonce = permitSingle(1n, expiration, 7, spender.account.address, (await now()) + 600n);
    expect(
      await revertName(spender, 'permit', [
        owner.account.address,
        wrongNonce,
        await signPermitSingle(owner, wrongNonce),
      ]),
    ).toBe('InvalidNonce');
    expect(await revertName(spender, 'permit', [owner.account.address, valid, '0x1234'])).toBe(
      'InvalidSignatureLength',
    );
  });

  it('invalidateNonces voids permits signed for older nonces', async () => {
    const owner = wallet(2);
    const spender = wallet(4);
    const permit = permitSingle(10n, Number(await now()) + 3600, 0, spender.account.address, (await now()) + 600n);
    const signature = await signPermitSingle(owner, permit);
    await write(owner, PERMIT2_ADDRESS, permit2Abi, 'invalidateNonces', [token, spender.account.address, 3]);
    expect((await allowance(owner.account.address, spender.account.address))[2]).toBe(3);
    expect(await revertName(spender, 'permit', [owner.account.address, permit, signature])).toBe('InvalidNonce');
    expect(await revertName(owner, 'invalidateNonces', [token, spender.account.address, 70_000])).toBe(
      'ExcessiveInvalidation',
    );
  });

  it('refuses an expired allowance and lockdown zeroes the allowance', async () => {
    const owner = wallet(2);
    const spender = wallet(5);
    const to = owner.account.address;
    await write(owner, PERMIT2_ADDRESS, permit2Abi, 'approve', [token, spender.account.address, 1_000n, 1]);
    expect(await revertName(spender, 'transferFrom', [owner.account.address, to, 1n, token])).toBe('AllowanceExpired');

    await write(owner, PERMIT2_ADDRESS, permit2Abi, 'approve', [
      token,
      spender.account.address,
      maxUint160,
      Number(await now()) + 3600,
    ]);
    await write(spender, PERMIT2_ADDRESS, permit2Abi, 'transferFrom', [owner.account.address, to, 1n, token]);
    // An unlimited allowance is never decremented.
    expect((await allowance(owner.account.address, spender.account.address))[0]).toBe(maxUint160);
    await write(owner, PERMIT2_ADDRESS, permit2Abi, 'lockdown', [[{ token, spender: spender.account.address }]]);
    expect((await allowance(owner.account.address, spender.account.address))[0]).toBe(0n);
    expect(await revertName(spender, 'transferFrom', [owner.account.address, to, 1n, token])).toBe(
      'InsufficientAllowance',
    );
  });

  it('redeems an SDK PermitBatch and moves tokens with the batch transferFrom', async () => {
    const owner = wallet(0);
    const spender = wallet(8);
    const weth = chain.contracts.weth;
    await write(owner, weth, uniswapWethAbi, 'deposit', [], 10n ** 18n);
    await write(owner, weth, erc20Abi, 'approve', [PERMIT2_ADDRESS, maxUint256]);
    const expiration = Number(await now()) + 3600;
    const batch = {
      details: [
        { token, amount: 50n, expiration, nonce: 0 },
        { token: weth, amount: 10n ** 17n, expiration, nonce: 0 },
      ],
      spender: spender.account.address,
      sigDeadline: (await now()) + 600n,
    };
    const data = sdk.AllowanceTransfer.getPermitData(batch, sdk.PERMIT2_ADDRESS, chain.chainId);
    const signature = await signSdkData(owner, data as Parameters<typeof signSdkData>[1], 'PermitBatch');
    await write(spender, PERMIT2_ADDRESS, permit2Abi, 'permit', [owner.account.address, batch, signature]);
    const to = spender.account.address;
    await write(spender, PERMIT2_ADDRESS, permit2Abi, 'transferFrom', [
      [
        { from: owner.account.address, to, amount: 50n, token },
        { from: owner.account.address, to, amount: 10n ** 17n, token: weth },
      ],
    ]);
    expect(await balance(to)).toBeGreaterThanOrEqual(50n);
    expect(await balance(to, weth)).toBe(10n ** 17n);
  });
});

describe('legacy AllowanceTransfer overloads from the SDK ABI', () => {
  it('transferFrom(token, from, to, amount) and transferFrom(from, (token, amount, to)[])', async () => {
    const owner = wallet(6);
    const spender = wallet(7);
    const to = chain.accounts[9]?.address ?? PERMIT2_ADDRESS;
    await write(owner, token, erc20Abi, 'mint', [owner.account.address, 100n]);
    await write(owner, PERMIT2_ADDRESS, permit2Abi, 'approve', [
      token,
      spender.account.address,
      30n,
      Number(await now()) + 3600,
    ]);
    const legacy = sdkAbi.filter((x) => x.type === 'function' && x.name === 'transferFrom');
    const before = await balance(to);
    for (const args of [
      [token, owner.account.address, to, 10n],
      [owner.account.address, [{ token, amount: 5n, to }]],
    ]) {
      const hash = await spender.writeContract({
        address: PERMIT2_ADDRESS,
        abi: legacy,
        functionName: 'transferFrom',
        args,
      });
      expect((await client().waitForTransactionReceipt({ hash })).status).toBe('success');
    }
    expect((await balance(to)) - before).toBe(15n);
    expect((await allowance(owner.account.address, spender.account.address))[0]).toBe(15n);
  });
});

const uniswapWethAbi = [
  { type: 'function', name: 'deposit', stateMutability: 'payable', inputs: [], outputs: [] },
] as const satisfies Abi;

describe('SignatureTransfer', () => {
  it('redeems an SDK PermitTransferFrom and refuses a replay', async () => {
    const owner = wallet(0);
    const spender = wallet(1);
    const to = chain.accounts[9]?.address ?? PERMIT2_ADDRESS;
    const permit = transferPermit(777n, 42n, (await now()) + 600n, spender.account.address);
    const signature = await signTransfer(owner, permit);
    const before = await balance(to);
    const args = [onChain(permit), { to, requestedAmount: 700n }, owner.account.address, signature];
    await write(spender, PERMIT2_ADDRESS, permit2Abi, 'permitTransferFrom', args);
    expect((await balance(to)) - before).toBe(700n);
    const bitmap = await client().readContract({
      address: PERMIT2_ADDRESS,
      abi: permit2Abi,
      functionName: 'nonceBitmap',
      args: [owner.account.address, 0n],
    });
    expect(bitmap).toBe(1n << 42n);
    expect(await revertName(spender, 'permitTransferFrom', args)).toBe('InvalidNonce');
  });

  it('binds the spender, the amount, the deadline and the signer', async () => {
    const owner = wallet(0);
    const spender = wallet(1);
    const to = spender.account.address;
    const permit = transferPermit(100n, 43n, (await now()) + 600n, spender.account.address);
    const signature = await signTransfer(owner, permit);
    const args = (amount: bigint, sig: Hex) => [
      onChain(permit),
      { to, requestedAmount: amount },
      owner.account.address,
      sig,
    ];
    expect(await revertName(spender, 'permitTransferFrom', args(101n, signature))).toBe('InvalidAmount');
    // Another caller presents the signature: the hash binds msg.sender, so the signer differs.
    expect(await revertName(wallet(3), 'permitTransferFrom', args(100n, signature))).toBe('InvalidSigner');
    expect(await revertName(spender, 'permitTransferFrom', args(100n, await signTransfer(wallet(4), permit)))).toBe(
      'InvalidSigner',
    );
    const expired = transferPermit(100n, 44n, (await now()) - 1n, spender.account.address);
    const expiredArgs = [
      onChain(expired),
      { to, requestedAmount: 1n },
      owner.account.address,
      await signTransfer(owner, expired),
    ];
    expect(await revertName(spender, 'permitTransferFrom', expiredArgs)).toBe('SignatureExpired');
  });

  it('invalidateUnorderedNonces voids an unused signature', async () => {
    const owner = wallet(2);
    const spender = wallet(1);
    const permit = transferPermit(1n, 256n + 5n, (await now()) + 600n, spender.account.address);
    const signature = await signTransfer(owner, permit);
    await write(owner, PERMIT2_ADDRESS, permit2Abi, 'invalidateUnorderedNonces', [1n, 1n << 5n]);
    const args = [
      onChain(permit),
      { to: spender.account.address, requestedAmount: 1n },
      owner.account.address,
      signature,
    ];
    expect(await revertName(spender, 'permitTransferFrom', args)).toBe('InvalidNonce');
  });

  it('redeems an SDK witness permit with permitWitnessTransferFrom', async () => {
    const owner = wallet(0);
    const spender = wallet(1);
    const witnessTypes = { Order: [{ name: 'reference', type: 'bytes32' }] };
    const order = { reference: `0x${'ab'.repeat(32)}` as Hex };
    const witness = { witness: order, witnessTypeName: 'Order', witnessType: witnessTypes };
    const permit = transferPermit(9n, 77n, (await now()) + 600n, spender.account.address);
    const signature = await signTransfer(owner, permit, witness);
    const witnessHash = hashStruct({ data: order, primaryType: 'Order', types: witnessTypes });
    const typeString = 'Order witness)Order(bytes32 reference)TokenPermissions(address token,uint256 amount)';
    const to = spender.account.address;
    const before = await balance(to);
    await write(spender, PERMIT2_ADDRESS, permit2Abi, 'permitWitnessTransferFrom', [
      onChain(permit),
      { to, requestedAmount: 9n },
      owner.account.address,
      witnessHash,
      typeString,
      signature,
    ]);
    expect((await balance(to)) - before).toBe(9n);
  });

  it('verifies EIP-1271 contract signers', async () => {
    const signer = wallet(6);
    const spender = wallet(1);
    const deployHash = await signer.deployContract({
      abi: walletArtifact.abi,
      bytecode: walletArtifact.bytecode,
      args: [signer.account.address],
    });
    const contractWallet = (await client().waitForTransactionReceipt({ hash: deployHash })).contractAddress;
    if (contractWallet === null || contractWallet === undefined) throw new Error('wallet not deployed');
    await write(signer, token, erc20Abi, 'mint', [contractWallet, 1_000n]);
    const approve = [PERMIT2_ADDRESS, maxUint256] as const;
    const approveData = (await import('viem')).encodeFunctionData({
      abi: erc20Abi,
      functionName: 'approve',
      args: approve,
    });
    await write(signer, contractWallet, walletArtifact.abi, 'execute', [token, approveData]);

    const permit = transferPermit(250n, 1n, (await now()) + 600n, spender.account.address);
    const to = spender.account.address;
    const args = (sig: Hex) => [onChain(permit), { to, requestedAmount: 250n }, contractWallet, sig];
    expect(await revertName(spender, 'permitTransferFrom', args(await signTransfer(wallet(7), permit)))).toBe(
      'InvalidContractSignature',
    );
    await write(spender, PERMIT2_ADDRESS, permit2Abi, 'permitTransferFrom', args(await signTransfer(signer, permit)));
    expect(await balance(contractWallet)).toBe(750n);
  });

  it('accepts the legacy SDK-ABI overload permitTransferFrom(permit, owner, to, amount, signature)', async () => {
    const owner = wallet(2);
    const spender = wallet(1);
    const to = chain.accounts[8]?.address ?? PERMIT2_ADDRESS;
    const permit = transferPermit(3n, 900n, (await now()) + 600n, spender.account.address);
    const before = await balance(to);
    const legacy = sdkAbi.filter(
      (x) => x.type === 'function' && x.name === 'permitTransferFrom' && x.inputs.length === 5,
    );
    const hash = await spender.writeContract({
      address: PERMIT2_ADDRESS,
      abi: legacy,
      functionName: 'permitTransferFrom',
      args: [onChain(permit), owner.account.address, to, 3n, await signTransfer(owner, permit)],
    });
    expect((await client().waitForTransactionReceipt({ hash })).status).toBe('success');
    expect((await balance(to)) - before).toBe(3n);
  });
});
