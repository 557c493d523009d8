// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {SensorStatus, SensorView} from "./IMarketplace.sol";
import {EntityCode} from "./EntityCode.sol";
import {SubscriptionArgs} from "./EntityArgs.sol";
import {MarketplaceEntity} from "./MarketplaceEntity.sol";

/// One purchase of a sensor's stream (paper III.A.3), created by DataMarketplace.subscribe.
/// Immutable: every term is a field in its code, none in storage.
contract DataStreamSubscription is MarketplaceEntity {
    /// The buyer's DataStreamPrincipal.
    function buyer() external view returns (address) {
        return EntityCode.addressOf(address(MARKETPLACE), EntityCode.KIND_PRINCIPAL, SubscriptionArgs.read(address(this)).buyerIndex);
    }

    function sensor() external view returns (address) {
        return SubscriptionArgs.read(address(this)).sensor;
    }

    /// Unix seconds: the buyer is entitled to entries the sensor published at or after this time
    /// (0: from the oldest entry the gateway still holds).
    function startTimestamp() external view returns (uint64) {
        return SubscriptionArgs.read(address(this)).startTimestamp;
    }

    /// Entries paid for; the gateway meters delivered entries against it (off-chain).
    function dataEntries() external view returns (uint64) {
        return SubscriptionArgs.read(address(this)).dataEntries;
    }

    /// Block timestamp of the purchase.
    function createdAt() external view returns (uint64) {
        return SubscriptionArgs.read(address(this)).createdAt;
    }

    /// What the buyer was charged: price × entries at purchase time (an excess was refunded).
    function pricePaid() external view returns (uint256) {
        SubscriptionArgs.Terms memory t = SubscriptionArgs.read(address(this));
        return uint256(t.pricePerDataEntry) * t.dataEntries;
    }

    /// Valid means: its sensor is not Blocked. A deactivated sensor does not void it (the seller
    /// pauses publishing; what was paid for stays owed, history included). It says nothing about
    /// how many entries are left: the gateway counts delivered entries against dataEntries
    /// off-chain. Any contract can answer true here: first check DataMarketplace.isSubscription.
    function isDatastreamSubscriptionValid() external view returns (bool) {
        SensorView memory s = MARKETPLACE.sensorInfo(SubscriptionArgs.read(address(this)).sensor);
        return s.principal != address(0) && s.status != SensorStatus.Blocked;
    }
}
