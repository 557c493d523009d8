// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {MarketplaceViews} from "../src/MarketplaceViews.sol";

/// Gas benchmark only (scripts/bench-gas.ts): the same marketplace, but each entity's code is a
/// full copy of its implementation (as in the paper's code, where every entity was deployed with
/// `new`) followed by the same immutable fields, instead of a 45-byte EIP-1167 proxy. Everything
/// else, storage, addresses and the entities' code included, is what DataMarketplace runs.
contract DataMarketplaceFull is MarketplaceViews {
    constructor(uint256 dspRegistrationPrice_, uint256 sensorRegistrationPrice_, uint16 commissionBps_)
        MarketplaceViews(dspRegistrationPrice_, sensorRegistrationPrice_, commissionBps_)
    {}

    function _entityCode(address implementation, bytes memory args) internal view override returns (bytes memory) {
        return abi.encodePacked(implementation.code, args);
    }
}
