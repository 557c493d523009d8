// SPDX-License-Identifier: Apache-2.0
// Frozen copy of contracts/src/MarketplaceAdmin.sol as of a9f5f06 (before issue 16): the "before" column of
// `npm run bench:gas`. Compiled only by scripts/bench-gas.ts; never deployed.
pragma solidity ^0.8.28;

import {IMarketplaceErrors, SensorStatus} from "./IMarketplace.sol";
import {Sensor} from "./Sensor.sol";

/// The marketplace owner's side: prices, commission, sensor types, blocking sensors, fees,
/// ownership; plus the entity registry (isPrincipal/isSensor/isSubscription) and the
/// reentrancy guard that MarketplaceCore builds on.
abstract contract MarketplaceAdmin is IMarketplaceErrors {
    uint8 internal constant KIND_PRINCIPAL = 1;
    uint8 internal constant KIND_SENSOR = 2;
    uint8 internal constant KIND_SUBSCRIPTION = 3;
    uint16 internal constant MAX_BPS = 10_000;

    address public owner;
    /// Two-step ownership transfer: the new owner must accept, so a typo cannot lose the marketplace.
    address public pendingOwner;
    /// Share of each subscription's cost the marketplace keeps, in basis points (0..10000).
    uint16 public commissionBps;
    uint256 public dspRegistrationPrice;
    uint256 public sensorRegistrationPrice;
    /// Registration fees and commission not yet withdrawn by the owner.
    uint256 public feesAccrued;
    /// Which entity, if any, this marketplace created at an address (KIND_*; 0: none).
    mapping(address => uint8) internal kindOf;
    string[] internal sensorTypeNames;
    // EIP-1153 transient storage: cleared at the end of every transaction, 100 gas per access.
    bool private transient locked;

    event PricesChanged(uint256 dspRegistrationPrice, uint256 sensorRegistrationPrice);
    event CommissionChanged(uint16 commissionBps);
    event SensorTypeAdded(uint16 indexed sensorType, string name);
    event SensorStatusChanged(address indexed sensor, SensorStatus status);
    event FeesWithdrawn(address indexed to, uint256 amount);
    event OwnershipTransferStarted(address indexed previousOwner, address indexed newOwner);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    modifier onlyKind(uint8 kind) {
        if (kindOf[msg.sender] != kind) revert NotEntity(msg.sender);
        _;
    }

    modifier nonReentrant() {
        if (locked) revert ReentrantCall();
        locked = true;
        _;
        locked = false;
    }

    /// Emits the initial owner, prices, commission and built-in sensor types, so that replaying
    /// this contract's logs from its creation rebuilds its whole state.
    constructor(uint256 dspRegistrationPrice_, uint256 sensorRegistrationPrice_, uint16 commissionBps_) {
        owner = msg.sender;
        emit OwnershipTransferred(address(0), msg.sender);
        dspRegistrationPrice = dspRegistrationPrice_;
        sensorRegistrationPrice = sensorRegistrationPrice_;
        emit PricesChanged(dspRegistrationPrice_, sensorRegistrationPrice_);
        _setCommission(commissionBps_);
        _addSensorType("Temperature");
        _addSensorType("Humidity");
        _addSensorType("AirPollution");
        _addSensorType("WaterPollution");
    }

    // ---- the registry: the gateway's proof that an address is genuine ----

    function isPrincipal(address a) external view returns (bool) {
        return kindOf[a] == KIND_PRINCIPAL;
    }

    function isSensor(address a) external view returns (bool) {
        return kindOf[a] == KIND_SENSOR;
    }

    function isSubscription(address a) external view returns (bool) {
        return kindOf[a] == KIND_SUBSCRIPTION;
    }

    // ---- prices, commission, sensor types ----

    function setDspRegistrationPrice(uint256 price) external onlyOwner {
        dspRegistrationPrice = price;
        emit PricesChanged(price, sensorRegistrationPrice);
    }

    function setSensorRegistrationPrice(uint256 price) external onlyOwner {
        sensorRegistrationPrice = price;
        emit PricesChanged(dspRegistrationPrice, price);
    }

    /// Applies to subscriptions made from now on.
    function setCommissionBps(uint16 commissionBps_) external onlyOwner {
        _setCommission(commissionBps_);
    }

    function sensorTypeCount() external view returns (uint16) {
        return uint16(sensorTypeNames.length);
    }

    function sensorTypeName(uint16 sensorType) external view returns (string memory) {
        if (sensorType >= sensorTypeNames.length) revert UnknownSensorType(sensorType);
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
        uint256 amount = feesAccrued;
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        feesAccrued = 0;
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

    function _send(address payable to, uint256 amount) internal {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }

    function _setCommission(uint16 commissionBps_) private {
        if (commissionBps_ > MAX_BPS) revert InvalidCommission(commissionBps_);
        commissionBps = commissionBps_;
        emit CommissionChanged(commissionBps_);
    }

    function _addSensorType(string memory name) private returns (uint16 sensorType) {
        if (bytes(name).length == 0) revert EmptyField("name");
        // Type ids are uint16; the last id stays free so sensorTypeCount() fits too.
        if (sensorTypeNames.length >= type(uint16).max) revert TooManySensorTypes();
        sensorType = uint16(sensorTypeNames.length);
        sensorTypeNames.push(name);
        emit SensorTypeAdded(sensorType, name);
    }

    function _setBlocked(address sensor, bool blocked) private {
        if (kindOf[sensor] != KIND_SENSOR) revert UnknownSensor(sensor);
        Sensor(sensor).setBlocked(blocked);
        emit SensorStatusChanged(sensor, blocked ? SensorStatus.Blocked : SensorStatus.Inactive);
    }
}
