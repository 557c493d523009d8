// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {SensorStatus} from "./IMarketplace.sol";
import {MarketplaceState} from "./MarketplaceState.sol";

/// The marketplace owner's side: prices, commission, sensor types, blocking sensors, fees,
/// ownership.
abstract contract MarketplaceAdmin is MarketplaceState {
    event PricesChanged(uint256 dspRegistrationPrice, uint256 sensorRegistrationPrice);
    event CommissionChanged(uint16 commissionBps);
    event SensorTypeAdded(uint16 indexed sensorType, string name);
    event SensorStatusChanged(address indexed sensor, SensorStatus status);
    event FeesWithdrawn(address indexed to, uint256 amount);
    event OwnershipTransferStarted(address indexed previousOwner, address indexed newOwner);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    /// Emits the initial owner, prices, commission and built-in sensor types, so that replaying
    /// this contract's logs from its creation rebuilds its settings.
    constructor(uint256 dspRegistrationPrice_, uint256 sensorRegistrationPrice_, uint16 commissionBps_) {
        owner = msg.sender;
        emit OwnershipTransferred(address(0), msg.sender);
        prices = Prices(_u128(dspRegistrationPrice_), _u128(sensorRegistrationPrice_));
        emit PricesChanged(dspRegistrationPrice_, sensorRegistrationPrice_);
        _setCommission(commissionBps_);
        _addSensorType("Temperature");
        _addSensorType("Humidity");
        _addSensorType("AirPollution");
        _addSensorType("WaterPollution");
    }

    // ---- prices, commission, sensor types ----

    function dspRegistrationPrice() external view returns (uint256) {
        return prices.dspRegistration;
    }

    function sensorRegistrationPrice() external view returns (uint256) {
        return prices.sensorRegistration;
    }

    /// Share of each subscription's cost the marketplace keeps, in basis points (0..10000).
    function commissionBps() external view returns (uint16) {
        return config.commissionBps;
    }

    /// Registration fees and commission not yet withdrawn by the owner.
    function feesAccrued() external view returns (uint256) {
        return config.feesAccrued;
    }

    function setDspRegistrationPrice(uint256 price) external onlyOwner {
        prices.dspRegistration = _u128(price);
        emit PricesChanged(price, prices.sensorRegistration);
    }

    function setSensorRegistrationPrice(uint256 price) external onlyOwner {
        prices.sensorRegistration = _u128(price);
        emit PricesChanged(prices.dspRegistration, price);
    }

    /// Applies to subscriptions made from now on.
    function setCommissionBps(uint16 commissionBps_) external onlyOwner {
        _setCommission(commissionBps_);
    }

    function sensorTypeCount() external view returns (uint16) {
        return config.sensorTypeCount;
    }

    function sensorTypeName(uint16 sensorType) external view returns (string memory) {
        if (sensorType >= config.sensorTypeCount) revert UnknownSensorType(sensorType);
        return sensorTypeNames[sensorType];
    }

    function addSensorType(string calldata name) external onlyOwner returns (uint16 sensorType) {
        return _addSensorType(name);
    }

    // ---- blocking sensors ----

    /// A blocked sensor takes no subscriptions, its owner cannot reactivate it, and every
    /// subscription to it stops being valid.
    function blockSensor(address sensor) external onlyOwner {
        _setBlocked(sensor, true);
    }

    /// Lifts a block; the sensor is Inactive until its owner activates it again.
    function unblockSensor(address sensor) external onlyOwner {
        _setBlocked(sensor, false);
    }

    // ---- fees, ownership ----

    function withdrawFees(address payable to) external onlyOwner nonReentrant {
        if (to == address(0)) revert ZeroAddress();
        uint256 amount = config.feesAccrued;
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        config.feesAccrued = 0;
        emit FeesWithdrawn(to, amount);
        _send(to, amount);
    }

    function transferOwnership(address newOwner) external onlyOwner {
        pendingOwner = newOwner;
        emit OwnershipTransferStarted(msg.sender, newOwner);
    }

    function acceptOwnership() external {
        if (msg.sender != pendingOwner) revert NotPendingOwner(msg.sender);
        emit OwnershipTransferred(owner, msg.sender);
        owner = msg.sender;
        pendingOwner = address(0);
    }

    // ---- internals ----

    function _setCommission(uint16 commissionBps_) private {
        if (commissionBps_ > MAX_BPS) revert InvalidCommission(commissionBps_);
        config.commissionBps = commissionBps_;
        emit CommissionChanged(commissionBps_);
    }

    function _addSensorType(string memory name) private returns (uint16 sensorType) {
        if (bytes(name).length == 0) revert EmptyField("name");
        sensorType = config.sensorTypeCount;
        // Type ids are uint16; the last id stays free so sensorTypeCount() fits too.
        if (sensorType == type(uint16).max) revert TooManySensorTypes();
        config.sensorTypeCount = sensorType + 1;
        sensorTypeNames[sensorType] = name;
        emit SensorTypeAdded(sensorType, name);
    }

    function _setBlocked(address sensor, bool blocked) private {
        SensorState storage s = sensorState[sensor];
        if (s.principalPlus1 == 0) revert UnknownSensor(sensor);
        SensorStatus current = s.status;
        if (blocked == (current == SensorStatus.Blocked)) revert StatusUnchanged(uint8(current));
        SensorStatus next = blocked ? SensorStatus.Blocked : SensorStatus.Inactive;
        s.status = next;
        emit SensorStatusChanged(sensor, next);
    }
}
