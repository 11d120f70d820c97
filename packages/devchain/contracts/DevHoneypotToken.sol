// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title Custos Dev Honeypot (cHONEY)
/// @notice Dev-chain fixture for the honeypot check: a deliberately malicious ERC-20. Anyone can
///         buy it from its Uniswap V2 pair, but every transfer *into* the pair from anyone other
///         than the owner reverts, so holders can never sell. The owner (the fixture deployer)
///         is exempt so it can seed the pool. Never deploy this anywhere else.
contract DevHoneypotToken is ERC20, Ownable {
    /// @notice The Uniswap V2 pair sells would go to; zero until the owner sets it.
    address public pair;

    /// @notice A transfer into the pair (a sell) from a holder other than the owner.
    error SellBlocked(address from);

    constructor(uint256 supply) ERC20("Custos Dev Honeypot", "cHONEY") Ownable(msg.sender) {
        _mint(msg.sender, supply);
    }

    /// @notice Names the pair whose incoming transfers are blocked. Owner only.
    function setPair(address pair_) external onlyOwner {
        pair = pair_;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (to == pair && pair != address(0) && from != owner()) revert SellBlocked(from);
        super._update(from, to, value);
    }
}
