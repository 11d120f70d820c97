// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";

/// @title Custos Dev Multi-Token
/// @notice Dev-chain fixture: OpenZeppelin's ERC-1155. Every holder gets ids 1 (a fungible-like
///         1000 units), 2 (10 units) and 3 (a single unit, NFT-like) so both shapes of ERC-1155
///         balance appear. `mint` is an open faucet. The URI points at a reserved domain because
///         there is no metadata server behind the dev chain.
contract DevMultiToken is ERC1155 {
    constructor(address[] memory holders) ERC1155("https://custos.invalid/dev/erc1155/{id}.json") {
        uint256[] memory ids = new uint256[](3);
        uint256[] memory amounts = new uint256[](3);
        (ids[0], ids[1], ids[2]) = (1, 2, 3);
        (amounts[0], amounts[1], amounts[2]) = (1000, 10, 1);
        for (uint256 i = 0; i < holders.length; ++i) {
            _mintBatch(holders[i], ids, amounts, "");
        }
    }

    /// @notice Dev faucet: anyone can mint. Fixture only.
    function mint(address to, uint256 id, uint256 amount) external {
        _mint(to, id, amount, "");
    }
}
