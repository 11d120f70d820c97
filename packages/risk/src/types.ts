/**
 * The shapes every part of the risk engine shares: what a decoder makes of a request (`Decoded`,
 * a list of `Intent`s — what signing it would really do), what a rule says about it (`Finding`),
 * and the one verdict every other capability uses unchanged (`Verdict`). Everything here is plain
 * JSON: addresses are lowercase 0x-hex, integers of any size are decimal strings, so a verdict can
 * be stored, sent over HTTP and compared without a custom serialiser.
 */

/** A lowercase, 0x-prefixed, 40-hex-digit address. */
export type Address = `0x${string}`;
/** 0x-prefixed, even-length, lowercase hex. */
export type Hex = `0x${string}`;
/** A non-negative integer of any size, in decimal (e.g. `"115792089237316195423570985008687907853269984665640564039457584007913129639935"`). */
export type UintString = string;

/** The JSON-RPC methods the engine scans. */
export const SCAN_METHODS = [
  'eth_sendTransaction',
  'eth_sendRawTransaction',
  'eth_signTransaction',
  'eth_signTypedData_v4',
  'eth_signTypedData_v3',
  'eth_signTypedData',
  'personal_sign',
  'eth_sign',
  'eth_sendUserOperation',
] as const;
export type ScanMethod = (typeof SCAN_METHODS)[number];

/** A request exactly as a dapp sends it to a wallet. */
export interface ScanRequest {
  /** The chain the wallet is on (EIP-155 id; a number, decimal or 0x-hex string). */
  chainId: number | string;
  /** The requesting site (a URL or a bare host), if known. */
  origin?: string | undefined;
  method: string;
  params: unknown;
}

// ---------------------------------------------------------------------------------------------
// Decoded requests

/** An EIP-7702 authorisation tuple, with its signer recovered when the signature allows it. */
export interface Authorization {
  chainId: number;
  /** The delegate: the code the authority's account will run. */
  address: Address;
  nonce: UintString;
  /** The EOA that signed the authorisation (recovered), when the tuple carries a signature. */
  authority?: Address | undefined;
}

/** A transaction after the hostile-encoding normalisation wallets apply. */
export interface NormalizedTransaction {
  chainId: number;
  from?: Address | undefined;
  /** Absent for a contract creation. */
  to?: Address | undefined;
  value: UintString;
  data: Hex;
  nonce?: UintString | undefined;
  gas?: UintString | undefined;
  type: 'legacy' | 'eip2930' | 'eip1559' | 'eip4844' | 'eip7702';
  authorizationList?: Authorization[] | undefined;
}

/** An ERC-4337 v0.6/v0.7 UserOperation, normalised. */
export interface NormalizedUserOperation {
  sender: Address;
  nonce: UintString;
  callData: Hex;
  entryPoint?: Address | undefined;
  /** The paymaster, if any (v0.7 `paymaster` or the first 20 bytes of v0.6 `paymasterAndData`). */
  paymaster?: Address | undefined;
  /** A factory deploying the sender (v0.7 `factory` or the first 20 bytes of v0.6 `initCode`). */
  factory?: Address | undefined;
}

/** One asset movement or right inside an order. */
export interface OrderItem {
  asset: 'native' | 'erc20' | 'erc721' | 'erc1155' | 'unknown';
  /** The token contract (the zero address for native). */
  token: Address;
  /** Token id or criteria root for NFTs. */
  id?: UintString | undefined;
  /** Largest amount over the order's life (max of start and end amounts). */
  amount: UintString;
  /** Who receives it (consideration items); absent where the market implies the offerer. */
  recipient?: Address | undefined;
}

interface IntentBase {
  /** Where in the request this intent was found, e.g. `tx`, `multicall[1]`, `execute[0]`. */
  path: string;
  /** Whose assets or rights the intent moves (the signer, the UserOp sender, the Safe …). */
  actor?: Address | undefined;
}

/** What signing the request would do. Each decoder yields one or more of these. */
export type Intent = IntentBase &
  (
    | { kind: 'native-transfer'; to: Address; amount: UintString }
    | {
        kind: 'token-transfer';
        /** ERC-20 `transfer` / `transferFrom` (for `transferFrom` the selector is shared with ERC-721). */
        method: 'transfer' | 'transferFrom';
        token: Address;
        from?: Address | undefined;
        to: Address;
        amount: UintString;
      }
    | {
        kind: 'nft-transfer';
        standard: 'erc721' | 'erc1155';
        token: Address;
        from: Address;
        to: Address;
        ids: UintString[];
        amounts: UintString[];
      }
    | {
        kind: 'approval';
        /**
         * `approve(address,uint256)` has one selector for ERC-20 (amount) and ERC-721 (token id):
         * `ambiguous` until the token's standard is known.
         */
        standard: 'erc20' | 'erc721' | 'ambiguous';
        method: 'approve' | 'increaseAllowance' | 'increaseApproval' | 'decreaseAllowance' | 'decreaseApproval';
        token: Address;
        spender: Address;
        /** The amount (ERC-20) or token id (ERC-721) argument. */
        amount: UintString;
      }
    | { kind: 'approval-for-all'; token: Address; operator: Address; approved: boolean }
    | {
        /** A signature or call that grants a standing allowance: EIP-2612, DAI, Permit2 AllowanceTransfer. */
        kind: 'permit';
        scheme: 'eip2612' | 'dai' | 'permit2';
        token: Address;
        spender: Address;
        owner?: Address | undefined;
        amount: UintString;
        /** Signature deadline (unix seconds), when the scheme has one. */
        deadline?: UintString | undefined;
        /** When the allowance itself expires (Permit2), unix seconds; 0 = the signature's block. */
        expiration?: UintString | undefined;
        nonce?: UintString | undefined;
        /** Where the permit is verified (token contract or Permit2). */
        verifyingContract?: Address | undefined;
      }
    | {
        /** A one-shot signed transfer (Permit2 SignatureTransfer, witness variants included). */
        kind: 'permit-transfer';
        scheme: 'permit2-signature-transfer' | 'permit2-witness-transfer';
        token: Address;
        spender: Address;
        amount: UintString;
        /** Recipient when the call fixes it (on-chain `permitTransferFrom`). */
        to?: Address | undefined;
        deadline?: UintString | undefined;
        nonce?: UintString | undefined;
        witnessType?: string | undefined;
      }
    | {
        /** Permit2 AllowanceTransfer `transferFrom`: moves tokens using an existing allowance. */
        kind: 'permit2-transfer-from';
        token: Address;
        from: Address;
        to: Address;
        amount: UintString;
      }
    | { kind: 'permit2-lockdown'; pairs: { token: Address; spender: Address }[] }
    | {
        kind: 'nonce-invalidation';
        scheme: 'permit2-nonces' | 'permit2-unordered-nonces' | 'seaport-counter' | 'other';
        contract: Address;
      }
    | {
        kind: 'order';
        market: 'seaport' | 'blur' | '0x' | '1inch' | 'uniswapx' | 'looksrare' | 'other';
        offerer: Address;
        /** What the offerer gives up. */
        offer: OrderItem[];
        /** What must be paid out when the order fills, and to whom. */
        consideration: OrderItem[];
        /** A fixed counterparty (private order), if any. */
        taker?: Address | undefined;
        /** Unix seconds after which the order cannot fill, if the order says. */
        expiry?: UintString | undefined;
      }
    | { kind: 'ownership-change'; contract: Address; newOwner: Address; method: string }
    | { kind: 'upgrade'; contract: Address; implementation: Address; method: string }
    | { kind: 'delegation'; delegate: Address; chainId: number; authority?: Address | undefined; nonce: UintString }
    | {
        /** Any call the decoders do not model further. */
        kind: 'contract-call';
        to: Address;
        /** `0x` + 8 hex digits, or `0x` for a call without calldata. */
        selector: Hex;
        /** Text signature from the selector table (e.g. `claimRewards(address)`), if known. */
        signature?: string | undefined;
        value: UintString;
      }
    | {
        /** An `eth_sign` / `personal_sign` payload, classified. */
        kind: 'raw-signature';
        method: 'eth_sign' | 'personal_sign';
        /**
         * `hash`: exactly 32 bytes (could be a transaction or order hash); `transaction`: bytes
         * that parse as a signed or unsigned transaction; `text`: printable UTF-8; `siwe`: an
         * EIP-4361 message; `binary`: anything else.
         */
        shape: 'hash' | 'transaction' | 'text' | 'siwe' | 'binary';
        /** For `siwe`: the domain the message names. */
        domain?: string | undefined;
      }
  );

export type IntentKind = Intent['kind'];

export interface TypedDataDomain {
  name?: string | undefined;
  version?: string | undefined;
  chainId?: number | undefined;
  verifyingContract?: Address | undefined;
  salt?: Hex | undefined;
}

export type Decoded =
  | {
      type: 'transaction';
      method: 'eth_sendTransaction' | 'eth_sendRawTransaction' | 'eth_signTransaction';
      transaction: NormalizedTransaction;
      /** The transaction hash (raw transactions only). */
      hash?: Hex | undefined;
      intents: Intent[];
    }
  | {
      type: 'user-operation';
      userOperation: NormalizedUserOperation;
      intents: Intent[];
    }
  | {
      type: 'typed-data';
      method: 'eth_signTypedData_v4' | 'eth_signTypedData_v3' | 'eth_signTypedData';
      signer: Address;
      domain: TypedDataDomain;
      primaryType: string;
      /** What the decoder recognised, e.g. `permit2.PermitBatch`, `seaport.OrderComponents`, `unknown`. */
      schema: string;
      /** The EIP-712 hash the signature would be over. */
      digest: Hex;
      intents: Intent[];
    }
  | {
      type: 'message';
      method: 'eth_sign' | 'personal_sign';
      signer: Address;
      /** The bytes signed. */
      data: Hex;
      /** The bytes as text, when they are printable UTF-8. */
      text?: string | undefined;
      intents: Intent[];
    };

// ---------------------------------------------------------------------------------------------
// Findings and verdicts

/** How bad a finding is: `critical` refuses, `warning` needs the user's confirmation, `info` informs. */
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const ACTIONS = ['allow', 'warn', 'block'] as const;
export type Action = (typeof ACTIONS)[number];

export interface Finding {
  /** The rule's stable id, e.g. `approval_farming`. */
  rule: string;
  severity: Severity;
  /** A plain-language explanation for the user. */
  message: string;
  /** The address the finding is about, if any. */
  subject?: Address | undefined;
}

/** An asset the user gives or gets, as the simulation saw it. */
export interface AssetChange {
  direction: 'out' | 'in';
  asset: 'native' | 'erc20' | 'erc721' | 'erc1155';
  /** The zero address for native. */
  token: Address;
  id?: UintString | undefined;
  amount: UintString;
  /** The other side. */
  counterparty?: Address | undefined;
  symbol?: string | undefined;
  decimals?: number | undefined;
}

export interface ApprovalChange {
  standard: 'erc20' | 'erc721' | 'erc1155' | 'permit2';
  token: Address;
  spender: Address;
  /** Allowance after the call (ERC-20 / Permit2), token id (ERC-721 single), or `all` / `none`. */
  amount: UintString | 'all' | 'none';
}

export interface SimulationResult {
  /** Whether the simulated call succeeded. */
  success: boolean;
  /** The revert reason, if it reverted. */
  revertReason?: string | undefined;
  gasUsed?: UintString | undefined;
  /** The block the simulation forked from. */
  block: UintString;
  assetChanges: AssetChange[];
  approvals: ApprovalChange[];
  /** Buy-then-sell checks of the tokens the user would receive, when they ran. */
  honeypots?: HoneypotCheck[] | undefined;
}

/** A buy-then-sell through a Uniswap-V2-style pair in the same fork. */
export interface HoneypotCheck {
  token: Address;
  verdict: 'ok' | 'honeypot' | 'unknown';
  /** Fractions 0–1 of what the pool's own pricing promised that the trade did not deliver. */
  buyTax?: number | undefined;
  sellTax?: number | undefined;
  reason?: string | undefined;
}

export interface Verdict {
  action: Action;
  findings: Finding[];
  decoded: Decoded;
  simulation?: SimulationResult | undefined;
}

// ---------------------------------------------------------------------------------------------
// On-chain facts

/** What the chain says about an address. `unknown` means it could not be asked (offline, RPC down). */
export interface AddressFacts {
  kind: 'eoa' | 'contract' | 'delegated' | 'empty' | 'unknown';
  /** keccak256 of the runtime code (contracts), or of the delegate's code (delegated EOAs). */
  codeHash?: Hex | undefined;
  /** The EIP-7702 delegate of a delegated EOA (`0xef0100 ‖ delegate`). */
  delegate?: Address | undefined;
  /** Transaction count, when known. */
  nonce?: number | undefined;
  /** Unix seconds of the block the contract was deployed in, when known. */
  deployedAt?: number | undefined;
  /** Why facts are missing, when `kind` is `unknown`. */
  reason?: string | undefined;
}

/** What the chain says about a token contract. */
export interface TokenFacts {
  standard: 'erc20' | 'erc721' | 'erc1155' | 'unknown';
  symbol?: string | undefined;
  name?: string | undefined;
  decimals?: number | undefined;
  totalSupply?: UintString | undefined;
  /** Why facts are missing, when `standard` is `unknown` for lack of an answer. */
  reason?: string | undefined;
}
