// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IMarketplaceErrors, IMarketplaceForEntities, SensorStatus} from "./IMarketplace.sol";
import {DataStreamPrincipal} from "./DataStreamPrincipal.sol";
import {DataStreamSubscription} from "./DataStreamSubscription.sol";
import {EntityCode} from "./EntityCode.sol";
import {Sensor} from "./Sensor.sol";

/// The marketplace's storage, every slot of it in one place (docs/contracts.md, "Storage and what
/// each index costs"), and the entity factory: CREATE2 of EntityCode.INITCODE, whose one call
/// this contract's fallback answers with the entity's runtime code.
///
/// Money: every wei lives here. Registration fees and the commission are in feesAccrued (the
/// owner's withdrawFees); the rest of a subscription's cost is in the seller principal's
/// proceeds (the seller's withdraw). Invariant: balance >= feesAccrued + Σ proceeds.
abstract contract MarketplaceState is IMarketplaceErrors, IMarketplaceForEntities {
    uint16 internal constant MAX_BPS = 10_000;
    // Transient slots of the code being deployed: the length, then one slot per 32-byte word.
    // Far from slot 0, where Solidity keeps `locked`.
    uint256 private constant CODE_TSLOT = 0x6974726164652e656e746974792d636f6465;

    /// Written by every registration and subscription: one slot.
    struct Config {
        uint128 feesAccrued;
        uint16 commissionBps;
        uint16 sensorTypeCount;
        uint32 principalCount;
        uint32 sensorCount;
        uint32 subscriptionCount;
    }

    struct Prices {
        uint128 dspRegistration;
        uint128 sensorRegistration;
    }

    /// One slot per principal, never zero once registered (keyBlock), so crediting a seller
    /// rewrites a live slot (5,000 gas) instead of creating one (22,100).
    struct PrincipalState {
        uint128 proceeds;
        uint64 keyBlock;
        uint32 sensorCount;
        uint32 lastSensorPlus1;
    }

    /// One slot per sensor; principalPlus1 != 0 marks a registered sensor.
    struct SensorState {
        uint128 price;
        uint32 principalPlus1;
        uint32 subscriptionCount;
        SensorStatus status;
    }

    /// One slot per (buyer principal, sensor): the head of the chain of its subscriptions.
    struct Pair {
        uint32 count;
        uint32 lastPlus1;
    }

    address public owner;
    /// Two-step ownership transfer: the new owner must accept, so a typo cannot lose the marketplace.
    address public pendingOwner;
    Config internal config;
    Prices internal prices;
    mapping(uint16 sensorType => string) internal sensorTypeNames;
    mapping(address account => uint32 indexPlus1) internal principalIndexPlus1;
    mapping(address principal => PrincipalState) internal principalState;
    mapping(address principal => bytes32) internal rsaKeyHash;
    mapping(address sensor => SensorState) internal sensorState;
    mapping(address buyerPrincipal => mapping(address sensor => Pair)) internal pairs;
    // EIP-1153 transient storage: cleared at the end of every transaction, 100 gas per access.
    bool private transient locked;

    /// What the entities delegate to (clones) or are copies of (the benchmark's full variant).
    address public immutable principalImplementation;
    address public immutable sensorImplementation;
    address public immutable subscriptionImplementation;

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    modifier nonReentrant() {
        if (locked) revert ReentrantCall();
        locked = true;
        _;
        locked = false;
    }

    constructor() {
        // Deployed by this contract, so their MARKETPLACE is this contract.
        principalImplementation = address(new DataStreamPrincipal());
        sensorImplementation = address(new Sensor());
        subscriptionImplementation = address(new DataStreamSubscription());
    }

    /// The runtime code of a new entity: `args` must end it (EntityArgs reads from the end).
    function _entityCode(address implementation, bytes memory args) internal view virtual returns (bytes memory);

    /// Creates entity (kind, index) with the implementation's code and these immutable fields.
    function _deploy(address implementation, uint8 kind, uint256 index, bytes memory args) internal returns (address entity) {
        bytes memory code = _entityCode(implementation, args);
        bytes memory init = EntityCode.INITCODE;
        bytes32 salt = EntityCode.salt(kind, index);
        assembly ("memory-safe") {
            let len := mload(code)
            tstore(CODE_TSLOT, len)
            for { let i := 0 } lt(i, len) { i := add(i, 0x20) } {
                tstore(add(CODE_TSLOT, add(1, shr(5, i))), mload(add(add(code, 0x20), i)))
            }
            entity := create2(0, add(init, 0x20), mload(init), salt)
            tstore(CODE_TSLOT, 0)
        }
        // An occupied address (an index used twice) or a failed creation.
        if (entity == address(0)) revert CloneFailed();
    }

    /// INITCODE's call: the code being deployed, and only while it is (empty calldata, no value).
    fallback() external {
        assembly {
            let len := tload(CODE_TSLOT)
            if iszero(len) { revert(0, 0) }
            let p := mload(0x40)
            for { let i := 0 } lt(i, len) { i := add(i, 0x20) } {
                mstore(add(p, i), tload(add(CODE_TSLOT, add(1, shr(5, i)))))
            }
            return(p, len)
        }
    }

    function _principalAt(uint256 index) internal view returns (address) {
        return EntityCode.addressOf(address(this), EntityCode.KIND_PRINCIPAL, index);
    }

    /// The caller's principal, or the zero address.
    function _principalOf(address account) internal view returns (address) {
        uint32 plus1 = principalIndexPlus1[account];
        return plus1 == 0 ? address(0) : _principalAt(plus1 - 1);
    }

    /// Amounts are kept in 128 bits: more wei than any chain has ever minted.
    function _u128(uint256 amount) internal pure returns (uint128) {
        if (amount > type(uint128).max) revert AmountTooLarge(amount);
        return uint128(amount);
    }

    function _send(address payable to, uint256 amount) internal {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }
}
