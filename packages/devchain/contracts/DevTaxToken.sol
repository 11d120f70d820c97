// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title Custos Dev Tax Token (cTAX)
/// @notice Dev-chain fixture for the honeypot check: an ERC-20 that takes a 90 % tax on every
///         sell. A transfer into the Uniswap V2 pair from anyone other than the owner delivers
///         only 10 % to the pair; the rest goes to the owner. Buys and wallet-to-wallet transfers
///         are untaxed. Fee-on-transfer aware router functions still complete, so the sell
///         "works" while returning a tenth of the quote. Never deploy this anywhere else.
contract DevTaxToken is ERC20, Ownable {
    /// @notice The sell tax in percent.
    uint256 public constant SELL_TAX_PERCENT = 90;

    /// @notice The Uniswap V2 pair whose incoming transfers are taxed; zero until the owner sets it.
    address public pair;

    constructor(uint256 supply) ERC20("Custos Dev Tax Token", "cTAX") Ownable(msg.sender) {
        _mint(msg.sender, supply);
    }

    /// @notice Names the pair whose incoming transfers are taxed. Owner only.
    function setPair(address pair_) external onlyOwner {
        pair = pair_;
    }

    function _update(address from, address to, uint256 value) internal override {
        address holder = owner();
        if (to == pair && pair != address(0) && from != holder && from != address(0)) {
            uint256 tax = (value * SELL_TAX_PERCENT) / 100;
            super._update(from, holder, tax);
            super._update(from, to, value - tax);
            return;
        }
        super._update(from, to, value);
    }
}
