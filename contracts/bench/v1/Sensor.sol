// SPDX-License-Identifier: Apache-2.0
// Frozen copy of contracts/src/Sensor.sol as of a9f5f06 (before issue 16): the "before" column of
// `npm run bench:gas`. Compiled only by scripts/bench-gas.ts; never deployed.
pragma solidity ^0.8.28;

import {SensorStatus} from "./IMarketplace.sol";
import {MarketplaceEntity} from "./MarketplaceEntity.sol";

/// A seller's sensor (paper III.A.1): type, geolocation, price per data entry, status. Buyers
/// subscribe here. It never keeps a wei: the cost goes on to the marketplace (commission and
/// the seller's pull balance), the excess straight back to the buyer.
contract Sensor is MarketplaceEntity {
    // Slot 0 packs 31 bytes, so reading the status for a subscription costs one SLOAD.
    /// The seller's DataStreamPrincipal.
    address public principal;
    /// Index into the marketplace's sensor types (0 Temperature, 1 Humidity, 2 AirPollution, 3 WaterPollution, ...).
    uint16 public sensorType;
    SensorStatus public status;
    /// Geolocation in micro-degrees (WGS 84): latitude within ±90e6, longitude within ±180e6.
    int32 public latitudeE6;
    int32 public longitudeE6;
    /// The seller's account (the principal's owner), kept here to spare a call per check.
    address public owner;
    uint128 public pricePerDataEntry;
    address[] private subscriptionList;

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    /// Called once by the marketplace, in the transaction that creates this clone. Starts Inactive.
    function initialize(
        address principal_,
        address owner_,
        uint16 sensorType_,
        int32 latitudeE6_,
        int32 longitudeE6_,
        uint128 pricePerDataEntry_
    ) external onlyMarketplace {
        if (principal != address(0)) revert AlreadyInitialized();
        principal = principal_;
        sensorType = sensorType_;
        latitudeE6 = latitudeE6_;
        longitudeE6 = longitudeE6_;
        owner = owner_;
        pricePerDataEntry = pricePerDataEntry_;
    }

    function activate() external onlyOwner {
        _setStatus(SensorStatus.Active);
    }

    function deactivate() external onlyOwner {
        _setStatus(SensorStatus.Inactive);
    }

    /// New subscriptions pay the new price; existing ones keep what they paid for.
    function setPricePerDataEntry(uint128 pricePerDataEntry_) external onlyOwner {
        pricePerDataEntry = pricePerDataEntry_;
        MARKETPLACE.notifySensorPrice(pricePerDataEntry_);
    }

    /// Marketplace owner's block (true) or unblock (false). Unblocking leaves the sensor
    /// Inactive: the seller decides again when it goes live. The marketplace emits the event.
    function setBlocked(bool blocked) external onlyMarketplace {
        SensorStatus current = status;
        if (blocked == (current == SensorStatus.Blocked)) revert StatusUnchanged(uint8(current));
        status = blocked ? SensorStatus.Blocked : SensorStatus.Inactive;
    }

    /// Buys `dataEntries` entries of this sensor's stream for `buyerPrincipal`, from
    /// `startTimestamp` (unix seconds) on. Only the principal's owner account may call it (the
    /// marketplace checks: NotPrincipalOwner / UnknownPrincipal). Costs price × entries; any
    /// excess of msg.value is refunded in this transaction.
    function subscribe(address buyerPrincipal, uint64 startTimestamp, uint64 dataEntries)
        external
        payable
        returns (address subscription)
    {
        if (dataEntries == 0) revert ZeroDataEntries();
        SensorStatus current = status;
        if (current != SensorStatus.Active) revert SensorNotActive(uint8(current));
        // uint128 × uint64 < 2^192: no overflow possible.
        uint256 cost = uint256(pricePerDataEntry) * dataEntries;
        if (msg.value < cost) revert InsufficientPayment(cost, msg.value);
        subscription = MARKETPLACE.createSubscription{value: cost}(msg.sender, buyerPrincipal, owner, startTimestamp, dataEntries);
        subscriptionList.push(subscription);
        // Checks-effects-interactions: the refund is the last thing this call does.
        uint256 excess = msg.value - cost;
        if (excess > 0) {
            (bool ok,) = payable(msg.sender).call{value: excess}("");
            if (!ok) revert TransferFailed(msg.sender, excess);
        }
    }

    function subscriptionCount() external view returns (uint256) {
        return subscriptionList.length;
    }

    function subscriptionAt(uint256 index) external view returns (address) {
        return subscriptionList[index];
    }

    function _setStatus(SensorStatus next) private {
        SensorStatus current = status;
        if (current == SensorStatus.Blocked) revert SensorBlocked();
        if (current == next) revert StatusUnchanged(uint8(current));
        status = next;
        MARKETPLACE.notifySensorStatus(next);
    }
}
