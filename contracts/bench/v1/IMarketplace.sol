// SPDX-License-Identifier: Apache-2.0
// Frozen copy of contracts/src/IMarketplace.sol as of a9f5f06 (before issue 16): the "before" column of
// `npm run bench:gas`. Compiled only by scripts/bench-gas.ts; never deployed.
pragma solidity ^0.8.28;

/// Sensor status (docs/contracts-api.md): 0 Inactive, 1 Active, 2 Blocked. In the ABI it is a uint8.
enum SensorStatus {
    Inactive,
    Active,
    Blocked
}

/// Every custom error of the marketplace contracts. Each contract inherits this interface, so its
/// ABI can decode an error raised anywhere along a call chain (a DataStreamPrincipal call that
/// fails inside the marketplace bubbles the marketplace's error up unchanged).
interface IMarketplaceErrors {
    error NotOwner(address caller);
    error NotPendingOwner(address caller);
    error NotMarketplace(address caller);
    error NotEntity(address caller);
    error NotPrincipalOwner(address caller, address principal);
    error UnknownPrincipal(address principal);
    error UnknownSensor(address sensor);
    error UnknownSensorType(uint16 sensorType);
    error TooManySensorTypes();
    error WrongFee(uint256 expected, uint256 paid);
    error InsufficientPayment(uint256 cost, uint256 paid);
    error AlreadyRegistered(address account, address principal);
    error AlreadyInitialized();
    error SensorNotActive(uint8 status);
    error SensorBlocked();
    error StatusUnchanged(uint8 status);
    error ZeroDataEntries();
    error InvalidCommission(uint16 commissionBps);
    error InvalidCoordinates(int32 latitudeE6, int32 longitudeE6);
    error EmptyField(string field);
    error ZeroAddress();
    error NothingToWithdraw(address account);
    error TransferFailed(address to, uint256 amount);
    error ReentrantCall();
    error CloneFailed();
}

/// What the entities call back into the marketplace for. Every function checks that the caller
/// is an entity this marketplace created (NotEntity otherwise), so only genuine entities create
/// sensors and subscriptions, move money, or make the marketplace emit an event.
interface IMarketplaceHooks {
    /// Called by a DataStreamPrincipal; msg.value is the sensor registration fee.
    function createSensor(address sensorOwner, uint16 sensorType, int32 latitudeE6, int32 longitudeE6, uint128 pricePerDataEntry)
        external
        payable
        returns (address sensor);

    /// Called by a Sensor; msg.value is exactly the cost of the subscription.
    function createSubscription(address payer, address buyerPrincipal, address seller, uint64 startTimestamp, uint64 dataEntries)
        external
        payable
        returns (address subscription);

    function notifySensorStatus(SensorStatus status) external;

    function notifySensorPrice(uint128 pricePerDataEntry) external;

    function notifyPrincipalKey() external;
}
