// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title Custos Dev USD (cUSD)
/// @notice Dev-chain fixture: a 6-decimal, USDC-shaped ERC-20 with EIP-2612 permit, built from
///         OpenZeppelin's audited ERC20 + ERC20Permit so wallets meet the real thing. `mint` is an
///         open faucet on purpose: it lets a developer fund any address on the throwaway dev chain.
///         Never deploy this anywhere else.
contract DevUSD is ERC20, ERC20Permit {
    constructor(address[] memory holders, uint256 amountEach)
        ERC20("Custos Dev USD", "cUSD")
        ERC20Permit("Custos Dev USD")
    {
        for (uint256 i = 0; i < holders.length; ++i) {
            _mint(holders[i], amountEach);
        }
    }

    /// @dev Six decimals like the USD stablecoins the framework has to handle, so amount scaling
    ///      bugs show up in development rather than in production.
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Dev faucet: anyone can mint. Fixture only.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
