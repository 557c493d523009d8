// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {PrincipalView, SensorStatus, SensorView, SubscriptionView} from "./IMarketplace.sol";
import {PrincipalArgs, SensorArgs, SubscriptionArgs} from "./EntityArgs.sol";
import {EntityCode} from "./EntityCode.sol";
import {MarketplaceCore} from "./MarketplaceCore.sol";

/// Reads that scale: whatever the gateway or a catalogue needs about a principal, a sensor or a
/// (buyer, sensor) pair is one call on current state, never a scan of the event history; an
/// unknown address answers with an all-zero view instead of reverting, so multicall batches
/// never fail on one bad address. Their cost grows only with what they return.
abstract contract MarketplaceViews is MarketplaceCore {
    /// Bumped on every ABI change the gateway depends on (the deployment check reads it).
    uint16 public constant apiVersion = 2;

    constructor(uint256 dspRegistrationPrice_, uint256 sensorRegistrationPrice_, uint16 commissionBps_)
        MarketplaceCore(dspRegistrationPrice_, sensorRegistrationPrice_, commissionBps_)
    {}

    // ---- the registry: the gateway's proof that an address is genuine ----

    function isPrincipal(address a) external view returns (bool) {
        return principalState[a].keyBlock != 0;
    }

    function isSensor(address a) external view returns (bool) {
        return sensorState[a].principalPlus1 != 0;
    }

    /// A subscription carries its index; only this marketplace can have created the contract at
    /// the address that index gives [EIP-1014]. No storage is needed to tell.
    function isSubscription(address a) public view returns (bool) {
        uint256 index = uint32(EntityCode.word(a, 4) >> 224);
        return a.code.length > SubscriptionArgs.LEN && index < config.subscriptionCount
            && EntityCode.addressOf(address(this), EntityCode.KIND_SUBSCRIPTION, index) == a;
    }

    // ---- principals ----

    /// The account's principal (zero address when none).
    function principalOf(address account) external view returns (address) {
        return _principalOf(account);
    }

    function principalCount() external view returns (uint256) {
        return config.principalCount;
    }

    function principalAt(uint256 index) external view returns (address) {
        if (index >= config.principalCount) revert NoSuchIndex(index);
        return _principalAt(index);
    }

    function principals() external view returns (address[] memory list) {
        list = new address[](config.principalCount);
        for (uint256 i = 0; i < list.length; i++) list[i] = _principalAt(i);
    }

    function principalInfo(address principal) public view returns (PrincipalView memory v) {
        uint64 keyBlock = principalState[principal].keyBlock;
        if (keyBlock == 0) return v;
        PrincipalState memory p = principalState[principal];
        (v.name, v.url, v.email) = PrincipalArgs.strings(principal);
        (v.principal, v.owner, v.rsaPublicKeyHash, v.rsaPublicKeyBlock) = (principal, PrincipalArgs.owner(principal), rsaKeyHash[principal], keyBlock);
        (v.sensorCount, v.pendingWithdrawal) = (p.sensorCount, p.proceeds);
    }

    /// principalInfo(principalOf(account)): what a login needs, in one call.
    function accountInfo(address account) external view returns (PrincipalView memory) {
        return principalInfo(_principalOf(account));
    }

    /// What the account's principal has earned and not withdrawn.
    function pendingWithdrawal(address sellerAccount) external view returns (uint256) {
        address p = _principalOf(sellerAccount);
        return p == address(0) ? 0 : principalState[p].proceeds;
    }

    // ---- sensors ----

    function sensorCount() external view returns (uint256) {
        return config.sensorCount;
    }

    function sensorAt(uint256 index) external view returns (address) {
        if (index >= config.sensorCount) revert NoSuchIndex(index);
        return EntityCode.addressOf(address(this), EntityCode.KIND_SENSOR, index);
    }

    function sensorInfo(address sensor) public view returns (SensorView memory v) {
        SensorState memory s = sensorState[sensor];
        if (s.principalPlus1 == 0) return v;
        (v.sensorType, v.latitudeE6, v.longitudeE6,) = SensorArgs.read(sensor);
        v.principal = _principalAt(s.principalPlus1 - 1);
        (v.sensor, v.owner, v.pricePerDataEntry) = (sensor, PrincipalArgs.owner(v.principal), s.price);
        (v.status, v.subscriptionCount) = (s.status, s.subscriptionCount);
    }

    /// The catalogue: sensors [offset, offset + limit) in registration order (fewer at the end).
    function sensorsPage(uint256 offset, uint256 limit) external view returns (SensorView[] memory page) {
        uint256 count = config.sensorCount;
        uint256 end = offset >= count ? offset : (limit > count - offset ? count : offset + limit);
        page = new SensorView[](end - offset);
        for (uint256 i = offset; i < end; i++) {
            page[i - offset] = sensorInfo(EntityCode.addressOf(address(this), EntityCode.KIND_SENSOR, i));
        }
    }

    /// The principal's sensors, oldest first (a chain through the sensors' code).
    function sensorsOf(address principal) external view returns (address[] memory list) {
        PrincipalState memory p = principalState[principal];
        list = new address[](p.sensorCount);
        uint256 plus1 = p.lastSensorPlus1;
        for (uint256 i = list.length; i > 0; i--) {
            address s = EntityCode.addressOf(address(this), EntityCode.KIND_SENSOR, plus1 - 1);
            list[i - 1] = s;
            (,,, uint32 previous) = SensorArgs.read(s);
            plus1 = previous;
        }
    }

    // ---- subscriptions ----

    function subscriptionCount() external view returns (uint256) {
        return config.subscriptionCount;
    }

    function subscriptionAt(uint256 index) external view returns (address) {
        if (index >= config.subscriptionCount) revert NoSuchIndex(index);
        return EntityCode.addressOf(address(this), EntityCode.KIND_SUBSCRIPTION, index);
    }

    function subscriptionInfo(address subscription) public view returns (SubscriptionView memory v) {
        if (!isSubscription(subscription)) return v;
        return _terms(subscription);
    }

    /// Every subscription `buyerPrincipal` bought of `sensor`, oldest first, valid or not.
    function subscriptionsOf(address buyerPrincipal, address sensor) public view returns (SubscriptionView[] memory list) {
        Pair memory pair = pairs[buyerPrincipal][sensor];
        list = new SubscriptionView[](pair.count);
        uint256 plus1 = pair.lastPlus1;
        for (uint256 i = list.length; i > 0; i--) {
            address a = EntityCode.addressOf(address(this), EntityCode.KIND_SUBSCRIPTION, plus1 - 1);
            SubscriptionArgs.Terms memory t = SubscriptionArgs.read(a);
            list[i - 1] = _view(a, t);
            plus1 = t.previousPlus1;
        }
    }

    /// The subscriptions the gateway must honour for (buyer, sensor): all of them while the
    /// sensor is not Blocked, none while it is (docs/contracts.md, "What valid means"). Whether
    /// each has started (startTimestamp) and how many entries are left is the gateway's to count.
    function validSubscriptions(address buyerPrincipal, address sensor) external view returns (SubscriptionView[] memory) {
        SensorState memory s = sensorState[sensor];
        if (s.principalPlus1 == 0 || s.status == SensorStatus.Blocked) return new SubscriptionView[](0);
        return subscriptionsOf(buyerPrincipal, sensor);
    }

    // ---- batching ----

    /// Runs each call against this contract as a view and returns their results: N reads in one
    /// eth_call. Reverts with the first failing call's revert data.
    function multicall(bytes[] calldata calls) external view returns (bytes[] memory results) {
        results = new bytes[](calls.length);
        for (uint256 i = 0; i < calls.length; i++) {
            (bool ok, bytes memory r) = address(this).staticcall(calls[i]);
            if (!ok) {
                assembly ("memory-safe") {
                    revert(add(r, 0x20), mload(r))
                }
            }
            results[i] = r;
        }
    }

    function _terms(address a) private view returns (SubscriptionView memory) {
        return _view(a, SubscriptionArgs.read(a));
    }

    function _view(address a, SubscriptionArgs.Terms memory t) private view returns (SubscriptionView memory) {
        return SubscriptionView({
            subscription: a,
            buyer: _principalAt(t.buyerIndex),
            sensor: t.sensor,
            startTimestamp: t.startTimestamp,
            dataEntries: t.dataEntries,
            createdAt: t.createdAt,
            paid: uint256(t.pricePerDataEntry) * t.dataEntries
        });
    }
}
