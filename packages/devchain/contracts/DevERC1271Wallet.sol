// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title Dev EIP-1271 wallet
/// @notice A minimal smart-contract account for exercising EIP-1271 signature paths (Permit2's
///         contract-signer branch, or any verifier): a signature is valid when it is the owner's
///         ECDSA signature of the hash. `execute` lets the owner make the wallet call anything,
///         e.g. approve Permit2 on a token. Not deployed at start-up; tests deploy it on demand.
contract DevERC1271Wallet {
    address public immutable owner;

    error NotOwner();

    constructor(address owner_) {
        owner = owner_;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(hash, signature);
        if (err == ECDSA.RecoverError.NoError && recovered == owner) return this.isValidSignature.selector;
        return 0xffffffff;
    }

    function execute(address target, bytes calldata data) external returns (bytes memory result) {
        if (msg.sender != owner) revert NotOwner();
        bool ok;
        (ok, result) = target.call(data);
        if (!ok) {
            // Bubble the callee's revert data so the caller sees the real reason.
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
    }
}
