// SPDX-License-Identifier: Apache-2.0
// Frozen copy of contracts/src/MarketplaceCore.sol as of a9f5f06 (before issue 16): the "before" column of
// `npm run bench:gas`. Compiled only by scripts/bench-gas.ts; never deployed.
pragma solidity ^0.8.28;

import {IMarketplaceHooks, SensorStatus} from "./IMarketplace.sol";
import {DataStreamPrincipal} from "./DataStreamPrincipal.sol";
import {DataStreamSubscription} from "./DataStreamSubscription.sol";
import {MarketplaceAdmin} from "./MarketplaceAdmin.sol";
import {Sensor} from "./Sensor.sol";

/// The marketplace's logic (paper III.A.2), independent of how entities are deployed: the
/// DataMarketplace clones them (EIP-1167), the gas benchmark's variant deploys full copies.
///
/// Money: every wei lives here. Registration fees and the commission go to feesAccrued (the
/// owner's withdrawFees); the rest of a subscription's cost goes to pendingWithdrawal[seller]
/// (the seller's withdraw). Invariant: balance >= feesAccrued + Σ pendingWithdrawal.
///
/// Events: the marketplace emits every event of every entity, so one log filter on this
/// address follows the whole marketplace.
abstract contract MarketplaceCore is MarketplaceAdmin, IMarketplaceHooks {
    int32 private constant MAX_LATITUDE_E6 = 90_000_000;
    int32 private constant MAX_LONGITUDE_E6 = 180_000_000;

    mapping(address account => address principal) public principalOf;
    mapping(address sellerAccount => uint256 amount) public pendingWithdrawal;
    address[] private principalList;

    event PrincipalRegistered(address indexed principal, address indexed owner, string name);
    event PrincipalKeyUpdated(address indexed principal);
    event SensorRegistered(address indexed sensor, address indexed principal, uint16 sensorType, uint128 pricePerDataEntry);
    event SensorPriceChanged(address indexed sensor, uint128 pricePerDataEntry);
    event Subscribed(
        address indexed subscription,
        address indexed sensor,
        address indexed buyer,
        uint64 startTimestamp,
        uint64 dataEntries,
        uint256 paid
    );
    event SellerWithdrawal(address indexed seller, uint256 amount);

    constructor(uint256 dspRegistrationPrice_, uint256 sensorRegistrationPrice_, uint16 commissionBps_)
        MarketplaceAdmin(dspRegistrationPrice_, sensorRegistrationPrice_, commissionBps_)
    {}

    /// Deploys an uninitialised entity: a clone, or a full contract in the benchmark variant.
    function _newPrincipal() internal virtual returns (address);
    function _newSensor() internal virtual returns (address);
    function _newSubscription() internal virtual returns (address);

    // ---- principals ----

    /// Registers the caller's one DataStreamPrincipal; msg.value must equal dspRegistrationPrice.
    function registerDataStreamPrincipal(
        string calldata name,
        string calldata url,
        string calldata email,
        string calldata rsaPublicKey
    ) external payable returns (address principal) {
        address existing = principalOf[msg.sender];
        if (existing != address(0)) revert AlreadyRegistered(msg.sender, existing);
        if (msg.value != dspRegistrationPrice) revert WrongFee(dspRegistrationPrice, msg.value);
        if (bytes(name).length == 0) revert EmptyField("name");
        if (bytes(rsaPublicKey).length == 0) revert EmptyField("rsaPublicKey");
        principal = _newPrincipal();
        kindOf[principal] = KIND_PRINCIPAL;
        principalOf[msg.sender] = principal;
        principalList.push(principal);
        feesAccrued += msg.value;
        DataStreamPrincipal(principal).initialize(msg.sender, name, url, email, rsaPublicKey);
        emit PrincipalRegistered(principal, msg.sender, name);
    }

    function principalCount() external view returns (uint256) {
        return principalList.length;
    }

    function principalAt(uint256 i) external view returns (address) {
        return principalList[i];
    }

    function principals() external view returns (address[] memory) {
        return principalList;
    }

    // ---- hooks the entities call ----

    /// @inheritdoc IMarketplaceHooks
    function createSensor(address sensorOwner, uint16 sensorType, int32 latitudeE6, int32 longitudeE6, uint128 pricePerDataEntry)
        external
        payable
        onlyKind(KIND_PRINCIPAL)
        returns (address sensor)
    {
        if (msg.value != sensorRegistrationPrice) revert WrongFee(sensorRegistrationPrice, msg.value);
        if (sensorType >= sensorTypeNames.length) revert UnknownSensorType(sensorType);
        if (
            latitudeE6 < -MAX_LATITUDE_E6 || latitudeE6 > MAX_LATITUDE_E6 || longitudeE6 < -MAX_LONGITUDE_E6
                || longitudeE6 > MAX_LONGITUDE_E6
        ) revert InvalidCoordinates(latitudeE6, longitudeE6);
        sensor = _newSensor();
        kindOf[sensor] = KIND_SENSOR;
        feesAccrued += msg.value;
        Sensor(sensor).initialize(msg.sender, sensorOwner, sensorType, latitudeE6, longitudeE6, pricePerDataEntry);
        emit SensorRegistered(sensor, msg.sender, sensorType, pricePerDataEntry);
    }

    /// @inheritdoc IMarketplaceHooks
    function createSubscription(address payer, address buyerPrincipal, address seller, uint64 startTimestamp, uint64 dataEntries)
        external
        payable
        onlyKind(KIND_SENSOR)
        returns (address subscription)
    {
        // Only the buyer principal's own account may subscribe for it. principalOf holds genuine
        // principals only, so one look-up proves both; the zero address is nobody's principal.
        if (buyerPrincipal == address(0) || principalOf[payer] != buyerPrincipal) {
            if (kindOf[buyerPrincipal] != KIND_PRINCIPAL) revert UnknownPrincipal(buyerPrincipal);
            revert NotPrincipalOwner(payer, buyerPrincipal);
        }
        uint256 cost = msg.value;
        // Rounds down in the seller's favour; commission + seller share == cost exactly.
        uint256 commission = (cost * commissionBps) / MAX_BPS;
        if (commission != 0) feesAccrued += commission;
        pendingWithdrawal[seller] += cost - commission;
        subscription = _newSubscription();
        kindOf[subscription] = KIND_SUBSCRIPTION;
        DataStreamSubscription(subscription).initialize(buyerPrincipal, msg.sender, startTimestamp, dataEntries, uint192(cost));
        emit Subscribed(subscription, msg.sender, buyerPrincipal, startTimestamp, dataEntries, cost);
    }

    /// @inheritdoc IMarketplaceHooks
    function notifySensorStatus(SensorStatus status) external onlyKind(KIND_SENSOR) {
        emit SensorStatusChanged(msg.sender, status);
    }

    /// @inheritdoc IMarketplaceHooks
    function notifySensorPrice(uint128 pricePerDataEntry) external onlyKind(KIND_SENSOR) {
        emit SensorPriceChanged(msg.sender, pricePerDataEntry);
    }

    /// @inheritdoc IMarketplaceHooks
    function notifyPrincipalKey() external onlyKind(KIND_PRINCIPAL) {
        emit PrincipalKeyUpdated(msg.sender);
    }

    // ---- sellers' proceeds (pull payments) ----

    /// Sends the caller (a seller account) everything owed to it.
    function withdraw() external nonReentrant {
        _withdraw(payable(msg.sender));
    }

    /// Same as withdraw(), paid to another address (for a seller account that cannot receive ether).
    function withdrawTo(address payable to) external nonReentrant {
        if (to == address(0)) revert ZeroAddress();
        _withdraw(to);
    }

    function _withdraw(address payable to) private {
        uint256 amount = pendingWithdrawal[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        // Effects before the interaction, and nonReentrant on top [checks-effects-interactions].
        pendingWithdrawal[msg.sender] = 0;
        emit SellerWithdrawal(msg.sender, amount);
        _send(to, amount);
    }
}
