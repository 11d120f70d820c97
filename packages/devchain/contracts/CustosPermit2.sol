// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @dev EIP-1271, the contract-signer check used for owners that have code.
interface IERC1271 {
    function isValidSignature(bytes32 hash, bytes memory signature) external view returns (bytes4);
}

/// @title CustosPermit2
/// @notice Our own implementation of the Permit2 interface (AllowanceTransfer + SignatureTransfer),
///         written for the custos dev chain; it is not Uniswap's source. The dev chain installs its
///         runtime bytecode at Permit2's canonical address with `hardhat_setCode`, so the contract
///         has no constructor, no immutables and no initialised storage: the EIP-712 domain
///         separator is computed from `block.chainid` and `address(this)` on every call. Public
///         function selectors, event topics, custom errors, EIP-712 type strings (domain
///         `EIP712Domain(string name,uint256 chainId,address verifyingContract)`, name "Permit2",
///         no version) and the storage slots of `nonceBitmap` (0) and `allowance` (1) match the
///         canonical deployment so wallets, SDKs and state-override tooling treat it as Permit2.
///         It additionally accepts the legacy overloads still listed in the ABI shipped in Uniswap's permit2-sdk.
contract CustosPermit2 {
    // ------------------------------------------------------------------ types (Permit2 layouts)

    struct PermitDetails {
        address token;
        uint160 amount;
        uint48 expiration;
        uint48 nonce;
    }

    struct PermitSingle {
        PermitDetails details;
        address spender;
        uint256 sigDeadline;
    }

    struct PermitBatch {
        PermitDetails[] details;
        address spender;
        uint256 sigDeadline;
    }

    struct PackedAllowance {
        uint160 amount;
        uint48 expiration;
        uint48 nonce;
    }

    struct TokenSpenderPair {
        address token;
        address spender;
    }

    struct AllowanceTransferDetails {
        address from;
        address to;
        uint160 amount;
        address token;
    }

    /// @dev Element of the legacy `transferFrom(address from, ...[])` overload: one owner, many moves.
    struct LegacyAllowanceTransferDetails {
        address token;
        uint160 amount;
        address to;
    }

    struct TokenPermissions {
        address token;
        uint256 amount;
    }

    struct PermitTransferFrom {
        TokenPermissions permitted;
        uint256 nonce;
        uint256 deadline;
    }

    struct PermitBatchTransferFrom {
        TokenPermissions[] permitted;
        uint256 nonce;
        uint256 deadline;
    }

    struct SignatureTransferDetails {
        address to;
        uint256 requestedAmount;
    }

    // ------------------------------------------------------------------ errors (Permit2's)

    error AllowanceExpired(uint256 deadline);
    error InsufficientAllowance(uint256 amount);
    error ExcessiveInvalidation();
    error InvalidAmount(uint256 maxAmount);
    error LengthMismatch();
    error SignatureExpired(uint256 signatureDeadline);
    error InvalidNonce();
    error InvalidSignatureLength();
    error InvalidSignature();
    error InvalidSigner();
    error InvalidContractSignature();

    // ------------------------------------------------------------------ events (Permit2's)

    event Approval(
        address indexed owner, address indexed token, address indexed spender, uint160 amount, uint48 expiration
    );
    event Permit(
        address indexed owner,
        address indexed token,
        address indexed spender,
        uint160 amount,
        uint48 expiration,
        uint48 nonce
    );
    event Lockdown(address indexed owner, address token, address spender);
    event NonceInvalidation(
        address indexed owner, address indexed token, address indexed spender, uint48 newNonce, uint48 oldNonce
    );
    event UnorderedNonceInvalidation(address indexed owner, uint256 word, uint256 mask);

    // ------------------------------------------------------------------ EIP-712 constants

    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,uint256 chainId,address verifyingContract)");
    bytes32 private constant NAME_HASH = keccak256("Permit2");

    bytes32 private constant PERMIT_DETAILS_TYPEHASH =
        keccak256("PermitDetails(address token,uint160 amount,uint48 expiration,uint48 nonce)");
    bytes32 private constant PERMIT_SINGLE_TYPEHASH = keccak256(
        "PermitSingle(PermitDetails details,address spender,uint256 sigDeadline)PermitDetails(address token,uint160 amount,uint48 expiration,uint48 nonce)"
    );
    bytes32 private constant PERMIT_BATCH_TYPEHASH = keccak256(
        "PermitBatch(PermitDetails[] details,address spender,uint256 sigDeadline)PermitDetails(address token,uint160 amount,uint48 expiration,uint48 nonce)"
    );
    bytes32 private constant TOKEN_PERMISSIONS_TYPEHASH = keccak256("TokenPermissions(address token,uint256 amount)");
    bytes32 private constant PERMIT_TRANSFER_FROM_TYPEHASH = keccak256(
        "PermitTransferFrom(TokenPermissions permitted,address spender,uint256 nonce,uint256 deadline)TokenPermissions(address token,uint256 amount)"
    );
    bytes32 private constant PERMIT_BATCH_TRANSFER_FROM_TYPEHASH = keccak256(
        "PermitBatchTransferFrom(TokenPermissions[] permitted,address spender,uint256 nonce,uint256 deadline)TokenPermissions(address token,uint256 amount)"
    );
    /// @dev Witness type strings are completed by the caller (witness type and referenced types).
    string private constant WITNESS_STUB =
        "PermitWitnessTransferFrom(TokenPermissions permitted,address spender,uint256 nonce,uint256 deadline,";
    string private constant BATCH_WITNESS_STUB =
        "PermitBatchWitnessTransferFrom(TokenPermissions[] permitted,address spender,uint256 nonce,uint256 deadline,";

    bytes32 private constant UPPER_BIT_MASK = 0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff;
    bytes4 private constant ERC1271_MAGIC = 0x1626ba7e;

    // ------------------------------------------------------------------ storage (canonical slots)

    /// @notice Unordered-nonce bitmaps for SignatureTransfer: owner => word position => bitmap.
    mapping(address => mapping(uint256 => uint256)) public nonceBitmap;

    /// @notice AllowanceTransfer allowances: owner => token => spender => (amount, expiration, nonce).
    mapping(address => mapping(address => mapping(address => PackedAllowance))) public allowance;

    // ------------------------------------------------------------------ EIP-712 domain

    /// @notice Computed per call, never cached: the code is placed with setCode, so there is no
    ///         constructor to cache it in, and the chain id may differ between dev chains.
    function DOMAIN_SEPARATOR() public view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, block.chainid, address(this)));
    }

    // ================================================================== AllowanceTransfer

    function approve(address token, address spender, uint160 amount, uint48 expiration) external {
        PackedAllowance storage allowed = allowance[msg.sender][token][spender];
        allowed.amount = amount;
        // Expiration 0 means "this block only", as in Permit2.
        allowed.expiration = expiration == 0 ? uint48(block.timestamp) : expiration;
        emit Approval(msg.sender, token, spender, amount, expiration);
    }

    function permit(address owner, PermitSingle memory permitSingle, bytes calldata signature) external {
        if (block.timestamp > permitSingle.sigDeadline) revert SignatureExpired(permitSingle.sigDeadline);
        bytes32 structHash = keccak256(
            abi.encode(
                PERMIT_SINGLE_TYPEHASH,
                _hashPermitDetails(permitSingle.details),
                permitSingle.spender,
                permitSingle.sigDeadline
            )
        );
        _verifySignature(signature, _hashTypedData(structHash), owner);
        _applyPermit(owner, permitSingle.details, permitSingle.spender);
    }

    function permit(address owner, PermitBatch memory permitBatch, bytes calldata signature) external {
        if (block.timestamp > permitBatch.sigDeadline) revert SignatureExpired(permitBatch.sigDeadline);
        uint256 count = permitBatch.details.length;
        bytes32[] memory detailHashes = new bytes32[](count);
        for (uint256 i = 0; i < count; ++i) {
            detailHashes[i] = _hashPermitDetails(permitBatch.details[i]);
        }
        bytes32 structHash = keccak256(
            abi.encode(
                PERMIT_BATCH_TYPEHASH,
                keccak256(abi.encodePacked(detailHashes)),
                permitBatch.spender,
                permitBatch.sigDeadline
            )
        );
        _verifySignature(signature, _hashTypedData(structHash), owner);
        for (uint256 i = 0; i < count; ++i) {
            _applyPermit(owner, permitBatch.details[i], permitBatch.spender);
        }
    }

    function transferFrom(address from, address to, uint160 amount, address token) external {
        _transferWithAllowance(from, to, amount, token);
    }

    function transferFrom(AllowanceTransferDetails[] calldata transferDetails) external {
        for (uint256 i = 0; i < transferDetails.length; ++i) {
            AllowanceTransferDetails calldata d = transferDetails[i];
            _transferWithAllowance(d.from, d.to, d.amount, d.token);
        }
    }

    /// @notice Legacy overload listed in the ABI shipped in Uniswap's permit2-sdk (token first).
    function transferFrom(address token, address from, address to, uint160 amount) external {
        _transferWithAllowance(from, to, amount, token);
    }

    /// @notice Legacy overload listed in the ABI shipped in Uniswap's permit2-sdk: one owner, several transfers.
    function transferFrom(address from, LegacyAllowanceTransferDetails[] calldata transferDetails) external {
        for (uint256 i = 0; i < transferDetails.length; ++i) {
            LegacyAllowanceTransferDetails calldata d = transferDetails[i];
            _transferWithAllowance(from, d.to, d.amount, d.token);
        }
    }

    /// @notice Emergency brake: zeroes the caller's allowance for each (token, spender) pair.
    function lockdown(TokenSpenderPair[] calldata approvals) external {
        for (uint256 i = 0; i < approvals.length; ++i) {
            address token = approvals[i].token;
            address spender = approvals[i].spender;
            allowance[msg.sender][token][spender].amount = 0;
            emit Lockdown(msg.sender, token, spender);
        }
    }

    /// @notice Moves the ordered nonce forward, voiding every signed permit below `newNonce`. The
    ///         step is capped at 2^16 so a typo cannot burn the whole uint48 space.
    function invalidateNonces(address token, address spender, uint48 newNonce) external {
        PackedAllowance storage allowed = allowance[msg.sender][token][spender];
        uint48 oldNonce = allowed.nonce;
        if (newNonce <= oldNonce) revert InvalidNonce();
        unchecked {
            if (newNonce - oldNonce > type(uint16).max) revert ExcessiveInvalidation();
        }
        allowed.nonce = newNonce;
        emit NonceInvalidation(msg.sender, token, spender, newNonce, oldNonce);
    }

    function _applyPermit(address owner, PermitDetails memory details, address spender) private {
        PackedAllowance storage allowed = allowance[owner][details.token][spender];
        if (allowed.nonce != details.nonce) revert InvalidNonce();
        allowed.amount = details.amount;
        allowed.expiration = details.expiration == 0 ? uint48(block.timestamp) : details.expiration;
        // Checked arithmetic: a nonce at type(uint48).max can never be used again.
        allowed.nonce = details.nonce + 1;
        emit Permit(owner, details.token, spender, details.amount, details.expiration, details.nonce);
    }

    function _transferWithAllowance(address from, address to, uint160 amount, address token) private {
        PackedAllowance storage allowed = allowance[from][token][msg.sender];
        if (block.timestamp > allowed.expiration) revert AllowanceExpired(allowed.expiration);
        uint160 maxAmount = allowed.amount;
        // type(uint160).max is an unlimited allowance and is never decremented, as in Permit2.
        if (maxAmount != type(uint160).max) {
            if (amount > maxAmount) revert InsufficientAllowance(maxAmount);
            unchecked {
                allowed.amount = maxAmount - amount;
            }
        }
        _safeTransferFrom(token, from, to, amount);
    }

    function _hashPermitDetails(PermitDetails memory details) private pure returns (bytes32) {
        return keccak256(
            abi.encode(PERMIT_DETAILS_TYPEHASH, details.token, details.amount, details.expiration, details.nonce)
        );
    }

    // ================================================================== SignatureTransfer

    function permitTransferFrom(
        PermitTransferFrom memory permit_,
        SignatureTransferDetails calldata transferDetails,
        address owner,
        bytes calldata signature
    ) external {
        bytes32 structHash = _hashPermitTransferFrom(permit_);
        _permitTransferFrom(permit_, transferDetails.to, transferDetails.requestedAmount, owner, structHash, signature);
    }

    /// @notice Legacy overload listed in the ABI shipped in Uniswap's permit2-sdk (owner/to/amount spelled out).
    function permitTransferFrom(
        PermitTransferFrom memory permit_,
        address owner,
        address to,
        uint256 requestedAmount,
        bytes calldata signature
    ) external {
        bytes32 structHash = _hashPermitTransferFrom(permit_);
        _permitTransferFrom(permit_, to, requestedAmount, owner, structHash, signature);
    }

    function permitWitnessTransferFrom(
        PermitTransferFrom memory permit_,
        SignatureTransferDetails calldata transferDetails,
        address owner,
        bytes32 witness,
        string calldata witnessTypeString,
        bytes calldata signature
    ) external {
        bytes32 typeHash = keccak256(abi.encodePacked(WITNESS_STUB, witnessTypeString));
        bytes32 structHash = _hashPermitWitnessTransferFrom(permit_, typeHash, witness);
        _permitTransferFrom(permit_, transferDetails.to, transferDetails.requestedAmount, owner, structHash, signature);
    }

    /// @notice Legacy overload listed in the ABI shipped in Uniswap's permit2-sdk. The type string is
    ///         WITNESS_STUB + witnessTypeName + " witness)" + witnessType, where `witnessType`
    ///         carries the referenced struct definitions in EIP-712 (alphabetical) order.
    function permitWitnessTransferFrom(
        PermitTransferFrom memory permit_,
        address owner,
        address to,
        uint256 requestedAmount,
        bytes32 witness,
        string calldata witnessTypeName,
        string calldata witnessType,
        bytes calldata signature
    ) external {
        bytes32 typeHash = keccak256(abi.encodePacked(WITNESS_STUB, witnessTypeName, " witness)", witnessType));
        bytes32 structHash = _hashPermitWitnessTransferFrom(permit_, typeHash, witness);
        _permitTransferFrom(permit_, to, requestedAmount, owner, structHash, signature);
    }

    function permitTransferFrom(
        PermitBatchTransferFrom memory permit_,
        SignatureTransferDetails[] calldata transferDetails,
        address owner,
        bytes calldata signature
    ) external {
        bytes32 structHash = _hashPermitBatchTransferFrom(permit_, PERMIT_BATCH_TRANSFER_FROM_TYPEHASH, 0, false);
        _permitBatchTransferFrom(permit_, transferDetails, owner, structHash, signature);
    }

    /// @notice Legacy overload listed in the ABI shipped in Uniswap's permit2-sdk (owner before the details).
    function permitTransferFrom(
        PermitBatchTransferFrom memory permit_,
        address owner,
        SignatureTransferDetails[] calldata transferDetails,
        bytes calldata signature
    ) external {
        bytes32 structHash = _hashPermitBatchTransferFrom(permit_, PERMIT_BATCH_TRANSFER_FROM_TYPEHASH, 0, false);
        _permitBatchTransferFrom(permit_, transferDetails, owner, structHash, signature);
    }

    function permitWitnessTransferFrom(
        PermitBatchTransferFrom memory permit_,
        SignatureTransferDetails[] calldata transferDetails,
        address owner,
        bytes32 witness,
        string calldata witnessTypeString,
        bytes calldata signature
    ) external {
        bytes32 typeHash = keccak256(abi.encodePacked(BATCH_WITNESS_STUB, witnessTypeString));
        bytes32 structHash = _hashPermitBatchTransferFrom(permit_, typeHash, witness, true);
        _permitBatchTransferFrom(permit_, transferDetails, owner, structHash, signature);
    }

    /// @notice Legacy overload listed in the ABI shipped in Uniswap's permit2-sdk; type string built as in the
    ///         single legacy witness overload.
    function permitWitnessTransferFrom(
        PermitBatchTransferFrom memory permit_,
        address owner,
        SignatureTransferDetails[] calldata transferDetails,
        bytes32 witness,
        string calldata witnessTypeName,
        string calldata witnessType,
        bytes calldata signature
    ) external {
        bytes32 typeHash =
            keccak256(abi.encodePacked(BATCH_WITNESS_STUB, witnessTypeName, " witness)", witnessType));
        bytes32 structHash = _hashPermitBatchTransferFrom(permit_, typeHash, witness, true);
        _permitBatchTransferFrom(permit_, transferDetails, owner, structHash, signature);
    }

    /// @notice Marks unordered nonces as used: sets the `mask` bits in word `wordPos` of the
    ///         caller's bitmap, voiding any signature that carries one of those nonces.
    function invalidateUnorderedNonces(uint256 wordPos, uint256 mask) external {
        nonceBitmap[msg.sender][wordPos] |= mask;
        emit UnorderedNonceInvalidation(msg.sender, wordPos, mask);
    }

    function _permitTransferFrom(
        PermitTransferFrom memory permit_,
        address to,
        uint256 requestedAmount,
        address owner,
        bytes32 structHash,
        bytes calldata signature
    ) private {
        if (block.timestamp > permit_.deadline) revert SignatureExpired(permit_.deadline);
        if (requestedAmount > permit_.permitted.amount) revert InvalidAmount(permit_.permitted.amount);
        _useUnorderedNonce(owner, permit_.nonce);
        _verifySignature(signature, _hashTypedData(structHash), owner);
        _safeTransferFrom(permit_.permitted.token, owner, to, requestedAmount);
    }

    function _permitBatchTransferFrom(
        PermitBatchTransferFrom memory permit_,
        SignatureTransferDetails[] calldata transferDetails,
        address owner,
        bytes32 structHash,
        bytes calldata signature
    ) private {
        uint256 count = permit_.permitted.length;
        if (block.timestamp > permit_.deadline) revert SignatureExpired(permit_.deadline);
        if (count != transferDetails.length) revert LengthMismatch();
        _useUnorderedNonce(owner, permit_.nonce);
        _verifySignature(signature, _hashTypedData(structHash), owner);
        for (uint256 i = 0; i < count; ++i) {
            TokenPermissions memory permitted = permit_.permitted[i];
            uint256 requestedAmount = transferDetails[i].requestedAmount;
            if (requestedAmount > permitted.amount) revert InvalidAmount(permitted.amount);
            // A zero request skips the token, letting a spender take a subset of the batch.
            if (requestedAmount != 0) {
                _safeTransferFrom(permitted.token, owner, transferDetails[i].to, requestedAmount);
            }
        }
    }

    function _hashPermitTransferFrom(PermitTransferFrom memory permit_) private view returns (bytes32) {
        return keccak256(
            abi.encode(
                PERMIT_TRANSFER_FROM_TYPEHASH,
                _hashTokenPermissions(permit_.permitted),
                msg.sender,
                permit_.nonce,
                permit_.deadline
            )
        );
    }

    function _hashPermitWitnessTransferFrom(PermitTransferFrom memory permit_, bytes32 typeHash, bytes32 witness)
        private
        view
        returns (bytes32)
    {
        return keccak256(
            abi.encode(
                typeHash, _hashTokenPermissions(permit_.permitted), msg.sender, permit_.nonce, permit_.deadline, witness
            )
        );
    }

    /// @dev The spender bound into every SignatureTransfer hash is msg.sender: a signature can
    ///      only be redeemed by the contract it was made out to.
    function _hashPermitBatchTransferFrom(
        PermitBatchTransferFrom memory permit_,
        bytes32 typeHash,
        bytes32 witness,
        bool withWitness
    ) private view returns (bytes32) {
        uint256 count = permit_.permitted.length;
        bytes32[] memory permissionHashes = new bytes32[](count);
        for (uint256 i = 0; i < count; ++i) {
            permissionHashes[i] = _hashTokenPermissions(permit_.permitted[i]);
        }
        bytes32 permittedHash = keccak256(abi.encodePacked(permissionHashes));
        if (withWitness) {
            return keccak256(abi.encode(typeHash, permittedHash, msg.sender, permit_.nonce, permit_.deadline, witness));
        }
        return keccak256(abi.encode(typeHash, permittedHash, msg.sender, permit_.nonce, permit_.deadline));
    }

    function _hashTokenPermissions(TokenPermissions memory permitted) private pure returns (bytes32) {
        return keccak256(abi.encode(TOKEN_PERMISSIONS_TYPEHASH, permitted.token, permitted.amount));
    }

    /// @dev Flips the nonce's bit; if it was already set the nonce was used (or invalidated).
    function _useUnorderedNonce(address owner, uint256 nonce) private {
        uint256 wordPos = nonce >> 8;
        uint256 bit = 1 << (nonce & 0xff);
        uint256 flipped = nonceBitmap[owner][wordPos] ^= bit;
        if (flipped & bit == 0) revert InvalidNonce();
    }

    // ================================================================== shared helpers

    function _hashTypedData(bytes32 structHash) private view returns (bytes32) {
        return keccak256(abi.encodePacked("\x19\x01", DOMAIN_SEPARATOR(), structHash));
    }

    /// @dev EOAs: ecrecover over a 65-byte (r, s, v) or EIP-2098 64-byte (r, vs) signature.
    ///      Accounts with code: EIP-1271 `isValidSignature` must return its magic value.
    function _verifySignature(bytes calldata signature, bytes32 digest, address claimedSigner) private view {
        if (claimedSigner.code.length > 0) {
            bytes4 magic = IERC1271(claimedSigner).isValidSignature(digest, signature);
            if (magic != ERC1271_MAGIC) revert InvalidContractSignature();
            return;
        }
        bytes32 r;
        bytes32 s;
        uint8 v;
        if (signature.length == 65) {
            (r, s) = abi.decode(signature, (bytes32, bytes32));
            v = uint8(signature[64]);
        } else if (signature.length == 64) {
            bytes32 vs;
            (r, vs) = abi.decode(signature, (bytes32, bytes32));
            s = vs & UPPER_BIT_MASK;
            v = uint8(uint256(vs >> 255)) + 27;
        } else {
            revert InvalidSignatureLength();
        }
        address signer = ecrecover(digest, v, r, s);
        if (signer == address(0)) revert InvalidSignature();
        if (signer != claimedSigner) revert InvalidSigner();
    }

    /// @dev SafeERC20-style transferFrom: tolerates tokens that return nothing (USDT-style) but
    ///      refuses a `false` return, a call to an address without code, and bubbles revert data.
    function _safeTransferFrom(address token, address from, address to, uint256 amount) private {
        (bool ok, bytes memory data) =
            token.call(abi.encodeWithSelector(0x23b872dd, from, to, amount)); // transferFrom(address,address,uint256)
        if (!ok) {
            if (data.length > 0) {
                assembly ("memory-safe") {
                    revert(add(data, 0x20), mload(data))
                }
            }
            revert("TRANSFER_FROM_FAILED");
        }
        bool accepted = data.length == 0 ? token.code.length > 0 : (data.length >= 32 && abi.decode(data, (bool)));
        if (!accepted) revert("TRANSFER_FROM_FAILED");
    }
}
