// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {SensorStatus} from "./IMarketplace.sol";
import {PrincipalArgs, SensorArgs, SubscriptionArgs} from "./EntityArgs.sol";
import {EntityCode} from "./EntityCode.sol";
import {MarketplaceAdmin} from "./MarketplaceAdmin.sol";

/// The marketplace's logic (paper III.A.2): registration, subscriptions and their money, sellers'
/// withdrawals, and the hooks through which entities change their state. Independent of how an
/// entity's code is made (_entityCode): clones, or the gas benchmark's full copies.
///
/// Events: the marketplace emits every event of every entity, so one log filter on this
/// address follows the whole marketplace.
abstract contract MarketplaceCore is MarketplaceAdmin {
    int32 private constant MAX_LATITUDE_E6 = 90_000_000;
    int32 private constant MAX_LONGITUDE_E6 = 180_000_000;

    event PrincipalRegistered(address indexed principal, address indexed owner, string name);
    event PrincipalKeyUpdated(address indexed principal, bytes32 keyHash, string rsaPublicKey);
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

    // ---- registration ----

    /// Registers the caller's one DataStreamPrincipal; msg.value must equal dspRegistrationPrice.
    /// The RSA key is not stored: its hash is, and PrincipalKeyUpdated carries the key.
    function registerDataStreamPrincipal(
        string calldata name,
        string calldata url,
        string calldata email,
        string calldata rsaPublicKey
    ) external payable returns (address principal) {
        _checkField("name", name, true);
        _checkField("url", url, false);
        _checkField("email", email, false);
        principal = _newPrincipal(PrincipalArgs.encode(msg.sender, name, url, email));
        emit PrincipalRegistered(principal, msg.sender, name);
        _setKey(principal, rsaPublicKey);
    }

    function _newPrincipal(bytes memory args) private returns (address principal) {
        address existing = _principalOf(msg.sender);
        if (existing != address(0)) revert AlreadyRegistered(msg.sender, existing);
        uint256 fee = prices.dspRegistration;
        if (msg.value != fee) revert WrongFee(fee, msg.value);
        Config memory c = config;
        uint32 index = c.principalCount;
        c.principalCount = index + 1;
        c.feesAccrued += uint128(fee);
        config = c;
        principalIndexPlus1[msg.sender] = index + 1;
        principal = _deploy(principalImplementation, EntityCode.KIND_PRINCIPAL, index, args);
    }

    /// Stores the key's hash and the block whose PrincipalKeyUpdated event carries the key.
    function _setKey(address principal, string calldata rsaPublicKey) private {
        if (bytes(rsaPublicKey).length == 0) revert EmptyField("rsaPublicKey");
        principalState[principal].keyBlock = uint64(block.number);
        bytes32 keyHash = keccak256(bytes(rsaPublicKey));
        rsaKeyHash[principal] = keyHash;
        emit PrincipalKeyUpdated(principal, keyHash, rsaPublicKey);
    }

    /// Registers a sensor of `principal`, whose owner must call; msg.value must equal
    /// sensorRegistrationPrice. The sensor starts Inactive.
    function registerSensor(address principal, uint16 sensorType, int32 latitudeE6, int32 longitudeE6, uint128 pricePerDataEntry)
        external
        payable
        returns (address sensor)
    {
        uint32 principalPlus1 = principalIndexPlus1[msg.sender];
        if (principalPlus1 == 0 || _principalAt(principalPlus1 - 1) != principal) {
            if (principalState[principal].keyBlock == 0) revert UnknownPrincipal(principal);
            revert NotOwner(msg.sender);
        }
        uint256 fee = prices.sensorRegistration;
        if (msg.value != fee) revert WrongFee(fee, msg.value);
        Config memory c = config;
        if (sensorType >= c.sensorTypeCount) revert UnknownSensorType(sensorType);
        if (
            latitudeE6 < -MAX_LATITUDE_E6 || latitudeE6 > MAX_LATITUDE_E6 || longitudeE6 < -MAX_LONGITUDE_E6
                || longitudeE6 > MAX_LONGITUDE_E6
        ) revert InvalidCoordinates(latitudeE6, longitudeE6);
        uint32 index = c.sensorCount;
        c.sensorCount = index + 1;
        c.feesAccrued += uint128(fee);
        config = c;
        PrincipalState storage p = principalState[principal];
        uint32 previousPlus1 = p.lastSensorPlus1;
        p.lastSensorPlus1 = index + 1;
        p.sensorCount += 1;
        sensor = _deploy(sensorImplementation, EntityCode.KIND_SENSOR, index, SensorArgs.encode(sensorType, latitudeE6, longitudeE6, previousPlus1));
        sensorState[sensor] = SensorState({price: pricePerDataEntry, principalPlus1: principalPlus1, subscriptionCount: 0, status: SensorStatus.Inactive});
        emit SensorRegistered(sensor, principal, sensorType, pricePerDataEntry);
    }

    // ---- subscriptions ----

    /// Buys `dataEntries` entries of `sensor`'s stream for `buyerPrincipal`, from
    /// `startTimestamp` (unix seconds; 0: from the oldest entry the gateway holds). Only the
    /// principal's owner account may call it; the sensor must be Active. Costs price × entries:
    /// the commission to feesAccrued, the rest to the seller's proceeds; any excess of msg.value
    /// is refunded in this call.
    function subscribe(address sensor, address buyerPrincipal, uint64 startTimestamp, uint64 dataEntries)
        external
        payable
        returns (address subscription)
    {
        if (dataEntries == 0) revert ZeroDataEntries();
        SensorState memory s = sensorState[sensor];
        if (s.principalPlus1 == 0) revert UnknownSensor(sensor);
        if (s.status != SensorStatus.Active) revert SensorNotActive(uint8(s.status));
        // uint128 × uint64 < 2^192: no overflow possible.
        uint256 cost = uint256(s.price) * dataEntries;
        if (msg.value < cost) revert InsufficientPayment(cost, msg.value);
        uint32 buyerIndex = _buyerIndex(buyerPrincipal);
        uint32 index = _account(cost, s.principalPlus1);
        sensorState[sensor].subscriptionCount = s.subscriptionCount + 1;
        SubscriptionArgs.Terms memory t = SubscriptionArgs.Terms(
            _link(buyerPrincipal, sensor, index), buyerIndex, sensor, startTimestamp, dataEntries, uint40(block.timestamp), s.price, index
        );
        subscription = _deploy(subscriptionImplementation, EntityCode.KIND_SUBSCRIPTION, index, SubscriptionArgs.encode(t));
        emit Subscribed(subscription, sensor, buyerPrincipal, startTimestamp, dataEntries, cost);
        // Checks-effects-interactions: the refund is the last thing this call does.
        if (msg.value > cost) _send(payable(msg.sender), msg.value - cost);
    }

    /// The caller's principal index; the caller must own `buyerPrincipal`.
    function _buyerIndex(address buyerPrincipal) private view returns (uint32) {
        uint32 plus1 = principalIndexPlus1[msg.sender];
        if (plus1 == 0 || _principalAt(plus1 - 1) != buyerPrincipal) {
            if (principalState[buyerPrincipal].keyBlock == 0) revert UnknownPrincipal(buyerPrincipal);
            revert NotPrincipalOwner(msg.sender, buyerPrincipal);
        }
        return plus1 - 1;
    }

    /// Makes subscription `index` the head of the (buyer, sensor) chain; returns the old head + 1.
    function _link(address buyerPrincipal, address sensor, uint32 index) private returns (uint32 previousPlus1) {
        Pair storage pair = pairs[buyerPrincipal][sensor];
        previousPlus1 = pair.lastPlus1;
        (pair.count, pair.lastPlus1) = (pair.count + 1, index + 1);
    }

    /// Splits `cost` into commission and the seller's share; returns the new subscription's index.
    function _account(uint256 cost, uint32 sellerPlus1) private returns (uint32 index) {
        Config memory c = config;
        // Rounds down in the seller's favour; commission + seller share == cost exactly.
        uint256 commission = (cost * c.commissionBps) / MAX_BPS;
        index = c.subscriptionCount;
        c.subscriptionCount = index + 1;
        c.feesAccrued += _u128(commission);
        config = c;
        principalState[_principalAt(sellerPlus1 - 1)].proceeds += _u128(cost - commission);
    }

    // ---- the entities' hooks ----

    function entitySetSensorActive(address caller, bool active) external {
        SensorState storage s = _ownedSensor(caller);
        SensorStatus current = s.status;
        if (current == SensorStatus.Blocked) revert SensorBlocked();
        SensorStatus next = active ? SensorStatus.Active : SensorStatus.Inactive;
        if (current == next) revert StatusUnchanged(uint8(current));
        s.status = next;
        emit SensorStatusChanged(msg.sender, next);
    }

    function entitySetSensorPrice(address caller, uint128 pricePerDataEntry) external {
        _ownedSensor(caller).price = pricePerDataEntry;
        emit SensorPriceChanged(msg.sender, pricePerDataEntry);
    }

    function entitySetPrincipalKey(string calldata rsaPublicKey) external {
        if (principalState[msg.sender].keyBlock == 0) revert NotEntity(msg.sender);
        _setKey(msg.sender, rsaPublicKey);
    }

    /// msg.sender must be one of our sensors, and `caller` the owner of its principal.
    function _ownedSensor(address caller) private view returns (SensorState storage s) {
        s = sensorState[msg.sender];
        uint32 principalPlus1 = s.principalPlus1;
        if (principalPlus1 == 0) revert NotEntity(msg.sender);
        if (principalIndexPlus1[caller] != principalPlus1) revert NotOwner(caller);
    }

    // ---- sellers' proceeds (pull payments) ----

    /// Sends the caller (a seller account) everything its principal earned.
    function withdraw() external nonReentrant {
        _withdraw(payable(msg.sender));
    }

    /// Same as withdraw(), paid to another address (for a seller account that cannot receive ether).
    function withdrawTo(address payable to) external nonReentrant {
        if (to == address(0)) revert ZeroAddress();
        _withdraw(to);
    }

    function _withdraw(address payable to) private {
        address principal = _principalOf(msg.sender);
        uint256 amount = principal == address(0) ? 0 : principalState[principal].proceeds;
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        // Effects before the interaction, and nonReentrant on top [checks-effects-interactions].
        principalState[principal].proceeds = 0;
        emit SellerWithdrawal(msg.sender, amount);
        _send(to, amount);
    }

    function _checkField(string memory field, string calldata value, bool required) private pure {
        uint256 len = bytes(value).length;
        if (required && len == 0) revert EmptyField(field);
        if (len > PrincipalArgs.MAX_FIELD) revert FieldTooLong(field, PrincipalArgs.MAX_FIELD);
    }
}
