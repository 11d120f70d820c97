/**
 * Shared test inputs: the EIP-155 example transaction and key (EIP-155 "Example"), and the EIP-712
 * "Ether Mail" document from the EIP's reference test.
 */
import { type Address, type Hex, parseEther, parseGwei, type TransactionSerializable } from 'viem';
import type { TypedDataDocument } from '../evm/typed-data.js';

/** The EIP-155 example private key: 32 bytes of 0x46. */
export const EIP155_KEY: Hex = `0x${'46'.repeat(32)}`;

export const TO: Address = '0x3535353535353535353535353535353535353535';

/** The EIP-155 example transaction (nonce 9, 20 gwei, 21000 gas, 1 ether to 0x35…35, chain 1). */
export const EIP155_TX = {
  type: 'legacy',
  nonce: 9,
  gasPrice: parseGwei('20'),
  gas: 21000n,
  to: TO,
  value: parseEther('1'),
  chainId: 1,
} as const satisfies TransactionSerializable;

export const MAIL: TypedDataDocument = {
  domain: {
    name: 'Ether Mail',
    version: '1',
    chainId: 1,
    verifyingContract: '0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC',
  },
  types: {
    Person: [
      { name: 'name', type: 'string' },
      { name: 'wallet', type: 'address' },
    ],
    Mail: [
      { name: 'from', type: 'Person' },
      { name: 'to', type: 'Person' },
      { name: 'contents', type: 'string' },
    ],
  },
  primaryType: 'Mail',
  message: {
    from: { name: 'Cow', wallet: '0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826' },
    to: { name: 'Bob', wallet: '0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB' },
    contents: 'Hello, Bob!',
  },
};
