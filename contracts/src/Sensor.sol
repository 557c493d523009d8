// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {SensorStatus} from "./IMarketplace.sol";
import {SensorArgs} from "./EntityArgs.sol";
import {MarketplaceEntity} from "./MarketplaceEntity.sol";

/// A seller's sensor (paper III.A.1); its address names its Kafka topic. Type and geolocation
/// are immutable fields in its code; status, price and its principal are kept by the marketplace
/// (one storage slot), where buyers subscribe (DataMarketplace.subscribe). Never holds a wei.
contract Sensor is MarketplaceEntity {
    /// The seller's DataStreamPrincipal.
    function principal() external view returns (address) {
        return MARKETPLACE.sensorInfo(address(this)).principal;
    }

    /// The seller's account (the principal's owner).
    function owner() external view returns (address) {
        return MARKETPLACE.sensorInfo(address(this)).owner;
    }

    /// Index into the marketplace's sensor types (0 Temperature, 1 Humidity, 2 AirPollution, 3 WaterPollution, ...).
    function sensorType() external view returns (uint16 t) {
        (t,,,) = SensorArgs.read(address(this));
    }

    /// Geolocation in micro-degrees (WGS 84): latitude within ±90e6, longitude within ±180e6.
    function latitudeE6() external view returns (int32 lat) {
        (, lat,,) = SensorArgs.read(address(this));
    }

    function longitudeE6() external view returns (int32 lon) {
        (,, lon,) = SensorArgs.read(address(this));
    }

    function pricePerDataEntry() external view returns (uint128) {
        return MARKETPLACE.sensorInfo(address(this)).pricePerDataEntry;
    }

    function status() external view returns (SensorStatus) {
        return MARKETPLACE.sensorInfo(address(this)).status;
    }

    function subscriptionCount() external view returns (uint256) {
        return MARKETPLACE.sensorInfo(address(this)).subscriptionCount;
    }

    /// The seller's account only; a Blocked sensor refuses (SensorBlocked). Emits SensorStatusChanged.
    function activate() external {
        MARKETPLACE.entitySetSensorActive(msg.sender, true);
    }

    function deactivate() external {
        MARKETPLACE.entitySetSensorActive(msg.sender, false);
    }

    /// New subscriptions pay the new price; existing ones keep what they paid for.
    function setPricePerDataEntry(uint128 pricePerDataEntry_) external {
        MARKETPLACE.entitySetSensorPrice(msg.sender, pricePerDataEntry_);
    }
}
