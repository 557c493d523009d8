// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {EntityCode} from "./EntityCode.sol";
import {MarketplaceViews} from "./MarketplaceViews.sol";

/// The ITrade data marketplace (docs/contracts-api.md). Every principal, sensor and subscription
/// keeps its own address, as the paper wants, but is an EIP-1167 proxy to one implementation
/// this contract deploys, with its immutable fields appended to its code (EntityCode): 45 bytes
/// of code plus its fields per entity instead of a full copy, and no storage of its own.
contract DataMarketplace is MarketplaceViews {
    constructor(uint256 dspRegistrationPrice_, uint256 sensorRegistrationPrice_, uint16 commissionBps_)
        MarketplaceViews(dspRegistrationPrice_, sensorRegistrationPrice_, commissionBps_)
    {}

    function _entityCode(address implementation, bytes memory args) internal pure override returns (bytes memory) {
        return EntityCode.cloneCode(implementation, args);
    }
}
