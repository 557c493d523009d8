// SPDX-License-Identifier: Apache-2.0
// Frozen copy of contracts/src/MarketplaceEntity.sol as of a9f5f06 (before issue 16): the "before" column of
// `npm run bench:gas`. Compiled only by scripts/bench-gas.ts; never deployed.
pragma solidity ^0.8.28;

import {IMarketplaceErrors, IMarketplaceHooks} from "./IMarketplace.sol";

/// Base of DataStreamPrincipal, Sensor and DataStreamSubscription. The marketplace deploys one
/// implementation of each in its constructor, so MARKETPLACE (an immutable, stored in the code,
/// not in storage) is the marketplace for the implementation and every EIP-1167 clone of it.
/// Only the marketplace may initialise an entity, and only once: a stranger can initialise
/// neither a clone (the marketplace initialises it in the transaction that creates it) nor the
/// implementation itself.
abstract contract MarketplaceEntity is IMarketplaceErrors {
    IMarketplaceHooks internal immutable MARKETPLACE;

    constructor() {
        MARKETPLACE = IMarketplaceHooks(msg.sender);
    }

    modifier onlyMarketplace() {
        if (msg.sender != address(MARKETPLACE)) revert NotMarketplace(msg.sender);
        _;
    }

    /// The DataMarketplace this entity belongs to.
    function marketplace() external view returns (address) {
        return address(MARKETPLACE);
    }
}
