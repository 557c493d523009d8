// SPDX-License-Identifier: Apache-2.0
// Frozen copy of contracts/src/DataStreamSubscription.sol as of a9f5f06 (before issue 16): the "before" column of
// `npm run bench:gas`. Compiled only by scripts/bench-gas.ts; never deployed.
pragma solidity ^0.8.28;

import {SensorStatus} from "./IMarketplace.sol";
import {MarketplaceEntity} from "./MarketplaceEntity.sol";

interface ISensorStatus {
    function status() external view returns (SensorStatus);
}

/// One purchase of a sensor's stream (paper III.A.3), created by the marketplace when a buyer
/// calls Sensor.subscribe. Immutable after creation; three storage slots.
contract DataStreamSubscription is MarketplaceEntity {
    /// The buyer's DataStreamPrincipal.
    address public buyer;
    /// Unix seconds: the buyer is entitled to entries the sensor published at or after this time
    /// (0: from the oldest entry the gateway still holds).
    uint64 public startTimestamp;
    address public sensor;
    /// Entries paid for; the gateway meters delivered entries against it (off-chain).
    uint64 public dataEntries;
    /// Block timestamp of the purchase.
    uint64 public createdAt;
    // price × entries < 2^192 (Sensor.subscribe), so it packs with createdAt.
    uint192 private paid;

    /// Called once by the marketplace, in the transaction that creates this clone.
    function initialize(address buyer_, address sensor_, uint64 startTimestamp_, uint64 dataEntries_, uint192 paid_)
        external
        onlyMarketplace
    {
        if (buyer != address(0)) revert AlreadyInitialized();
        buyer = buyer_;
        startTimestamp = startTimestamp_;
        sensor = sensor_;
        dataEntries = dataEntries_;
        createdAt = uint64(block.timestamp);
        paid = paid_;
    }

    /// What the buyer was charged (price × entries at purchase time, excess already refunded).
    function pricePaid() external view returns (uint256) {
        return paid;
    }

    /// Valid means: this subscription was initialised by its marketplace (always true for an
    /// address the marketplace's isSubscription() confirms) and its sensor is not Blocked.
    /// A deactivated sensor does not void it (the seller pauses publishing; what was paid for
    /// stays owed, history included). It says nothing about how many entries are left: the
    /// gateway counts delivered entries against dataEntries off-chain. Callers must first check
    /// DataMarketplace.isSubscription(address), since any contract can answer true here.
    function isDatastreamSubscriptionValid() external view returns (bool) {
        address s = sensor;
        return s != address(0) && ISensorStatus(s).status() != SensorStatus.Blocked;
    }
}
