// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

/// @title Custos Dev NFT (cNFT)
/// @notice Dev-chain fixture: OpenZeppelin's ERC-721 with sequential ids starting at 1. The
///         constructor hands `perHolder` tokens to each holder so approvals and transfers can be
///         exercised without a setup step; `mint` is an open faucet for the same reason.
contract DevNFT is ERC721 {
    uint256 public nextTokenId = 1;

    constructor(address[] memory holders, uint256 perHolder) ERC721("Custos Dev NFT", "cNFT") {
        for (uint256 i = 0; i < holders.length; ++i) {
            for (uint256 j = 0; j < perHolder; ++j) {
                _mint(holders[i], nextTokenId++);
            }
        }
    }

    /// @notice Dev faucet: anyone can mint the next id to `to`. Fixture only.
    function mint(address to) external returns (uint256 tokenId) {
        tokenId = nextTokenId++;
        _mint(to, tokenId);
    }
}
