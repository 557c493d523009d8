// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// Sensor status (docs/contracts-api.md): 0 Inactive, 1 Active, 2 Blocked. In the ABI it is a uint8.
enum SensorStatus {
    Inactive,
    Active,
    Blocked
}

/// A principal as the marketplace knows it, in one call (DataMarketplace.principalInfo).
/// The RSA key itself is not stored: it is in the PrincipalKeyUpdated event of block
/// rsaPublicKeyBlock, and its keccak256 is rsaPublicKeyHash (contracts/keys.ts reads and checks it).
struct PrincipalView {
    address principal;
    address owner;
    string name;
    string url;
    string email;
    bytes32 rsaPublicKeyHash;
    uint64 rsaPublicKeyBlock;
    uint32 sensorCount;
    uint256 pendingWithdrawal;
}

/// A sensor as the marketplace knows it, in one call (DataMarketplace.sensorInfo, sensorsPage).
struct SensorView {
    address sensor;
    address principal;
    address owner;
    uint16 sensorType;
    int32 latitudeE6;
    int32 longitudeE6;
    uint128 pricePerDataEntry;
    SensorStatus status;
    uint32 subscriptionCount;
}

/// One subscription's terms (DataMarketplace.subscriptionInfo, validSubscriptions).
struct SubscriptionView {
    address subscription;
    address buyer;
    address sensor;
    uint64 startTimestamp;
    uint64 dataEntries;
    uint64 createdAt;
    uint256 paid;
}

/// Every custom error of the marketplace contracts. Each contract inherits this interface, so its
/// ABI can decode an error raised anywhere along a call chain (a Sensor call that fails inside
/// the marketplace bubbles the marketplace's error up unchanged).
interface IMarketplaceErrors {
    error NotOwner(address caller);
    error NotPendingOwner(address caller);
    error NotEntity(address caller);
    error NotPrincipalOwner(address caller, address principal);
    error UnknownPrincipal(address principal);
    error UnknownSensor(address sensor);
    error UnknownSensorType(uint16 sensorType);
    error TooManySensorTypes();
    error NoSuchIndex(uint256 index);
    error WrongFee(uint256 expected, uint256 paid);
    error InsufficientPayment(uint256 cost, uint256 paid);
    error AmountTooLarge(uint256 amount);
    error AlreadyRegistered(address account, address principal);
    error SensorNotActive(uint8 status);
    error SensorBlocked();
    error StatusUnchanged(uint8 status);
    error ZeroDataEntries();
    error InvalidCommission(uint16 commissionBps);
    error InvalidCoordinates(int32 latitudeE6, int32 longitudeE6);
    error EmptyField(string field);
    error FieldTooLong(string field, uint256 maxLength);
    error ZeroAddress();
    error NothingToWithdraw(address account);
    error TransferFailed(address to, uint256 amount);
    error ReentrantCall();
    error CloneFailed();
}

/// What the entities call on their marketplace. The state-changing hooks check that msg.sender
/// is an entity this marketplace created (NotEntity otherwise) and, where a caller is passed,
/// that it owns the entity (NotOwner): an entity only forwards its own caller.
interface IMarketplaceForEntities {
    function entitySetSensorActive(address caller, bool active) external;

    function entitySetSensorPrice(address caller, uint128 pricePerDataEntry) external;

    /// From a principal, which has checked that its owner called.
    function entitySetPrincipalKey(string calldata rsaPublicKey) external;

    function principalInfo(address principal) external view returns (PrincipalView memory);

    function sensorInfo(address sensor) external view returns (SensorView memory);

    function sensorsOf(address principal) external view returns (address[] memory);
}
