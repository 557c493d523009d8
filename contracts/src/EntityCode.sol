// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// Where entities live and how they read their immutable fields (docs/contracts.md, "One address
/// per entity"). Every entity is created by its marketplace with CREATE2 from one constant
/// creation code, INITCODE, under the salt (kind, index). So:
///  - its address follows from (marketplace, kind, index) alone: the marketplace enumerates its
///    entities without storing a list, and an address is genuine exactly when recomputing it
///    from the index the entity carries gives the same address (nobody else can deploy there);
///  - its runtime code is whatever the marketplace answers INITCODE's one call with: an EIP-1167
///    proxy to the kind's implementation followed by the entity's immutable fields ("clone with
///    immutable arguments", as OpenZeppelin's Clones.cloneWithImmutableArgs and Solady's LibClone
///    lay it out; this is our own small version). The implementation reads those fields from the
///    end of its own address's code with EXTCODECOPY, which is why a full copy of the
///    implementation with the same fields appended (the gas benchmark's variant) works as well.
library EntityCode {
    uint8 internal constant KIND_PRINCIPAL = 1;
    uint8 internal constant KIND_SENSOR = 2;
    uint8 internal constant KIND_SUBSCRIPTION = 3;

    /// staticcall(gas, caller, 0, 0, 0, 0); copy the answer; revert with it on failure, else
    /// return it as the new contract's code:
    /// PUSH0 PUSH0 PUSH0 PUSH0 CALLER GAS STATICCALL  RETURNDATASIZE PUSH0 PUSH0 RETURNDATACOPY
    /// PUSH1 0x11 JUMPI  RETURNDATASIZE PUSH0 REVERT  JUMPDEST RETURNDATASIZE PUSH0 RETURN
    bytes internal constant INITCODE = hex"5f5f5f5f335afa3d5f5f3e6011573d5ffd5b3d5ff3";
    bytes32 internal constant INITCODE_HASH = keccak256(INITCODE);

    function salt(uint8 kind, uint256 index) internal pure returns (bytes32) {
        return bytes32((uint256(kind) << 248) | index);
    }

    /// The address of entity (kind, index) of `marketplace` [EIP-1014].
    function addressOf(address marketplace, uint8 kind, uint256 index) internal pure returns (address a) {
        bytes32 s = salt(kind, index);
        bytes32 h = INITCODE_HASH;
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, or(shl(160, 0xff), marketplace))
            mstore(add(p, 0x20), s)
            mstore(add(p, 0x40), h)
            a := and(keccak256(add(p, 11), 85), 0xffffffffffffffffffffffffffffffffffffffff)
        }
    }

    /// EIP-1167 runtime code delegating to `implementation`, then `args`.
    function cloneCode(address implementation, bytes memory args) internal pure returns (bytes memory) {
        return abi.encodePacked(hex"363d3d373d3d3d363d73", implementation, hex"5af43d82803e903d91602b57fd5bf3", args);
    }

    /// The 32 bytes of `a`'s code that start `fromEnd` bytes before its end (zeros past the end).
    function word(address a, uint256 fromEnd) internal view returns (uint256 w) {
        assembly ("memory-safe") {
            extcodecopy(a, 0x00, sub(extcodesize(a), fromEnd), 0x20)
            w := mload(0x00)
        }
    }

    /// `len` bytes of `a`'s code that start `fromEnd` bytes before its end.
    function slice(address a, uint256 fromEnd, uint256 len) internal view returns (bytes memory b) {
        b = new bytes(len);
        assembly ("memory-safe") {
            extcodecopy(a, add(b, 0x20), sub(extcodesize(a), fromEnd), len)
        }
    }
}
