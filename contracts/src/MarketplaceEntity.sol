// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IMarketplaceErrors, IMarketplaceForEntities} from "./IMarketplace.sol";

/// Base of DataStreamPrincipal, Sensor and DataStreamSubscription. The marketplace deploys one
/// implementation of each in its constructor, so MARKETPLACE (an immutable, stored in the code,
/// not in storage) is the marketplace for the implementation and for every entity delegating to
/// it. An entity has no initialiser and no storage of its own: its immutable fields are in its
/// code (EntityArgs), its mutable state in the marketplace, which alone changes it.
abstract contract MarketplaceEntity is IMarketplaceErrors {
    IMarketplaceForEntities internal immutable MARKETPLACE;

    constructor() {
        MARKETPLACE = IMarketplaceForEntities(msg.sender);
    }

    /// The DataMarketplace this entity belongs to.
    function marketplace() external view returns (address) {
        return address(MARKETPLACE);
    }
}
