// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {EntityCode} from "./EntityCode.sol";

/// The immutable fields each kind of entity carries at the end of its code (EntityCode), packed
/// big-endian, and how to read them back. The marketplace writes them once, at creation; the
/// entity itself and the marketplace's views read them with EXTCODECOPY (100 gas on a warm
/// address, 2,600 on a cold one), so they cost 200 gas per byte once instead of a storage slot.

/// [owner 20][name][url][email][name length 1][url length 1][email length 1]
library PrincipalArgs {
    uint256 internal constant MAX_FIELD = 255;

    function encode(address account, string calldata name, string calldata url, string calldata email)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodePacked(account, name, url, email, uint8(bytes(name).length), uint8(bytes(url).length), uint8(bytes(email).length));
    }

    function lengths(address p) private view returns (uint256 n, uint256 u, uint256 e) {
        uint256 w = EntityCode.word(p, 3) >> 232;
        (n, u, e) = ((w >> 16) & 0xff, (w >> 8) & 0xff, w & 0xff);
    }

    function owner(address p) internal view returns (address) {
        (uint256 n, uint256 u, uint256 e) = lengths(p);
        return address(uint160(EntityCode.word(p, 23 + n + u + e) >> 96));
    }

    function strings(address p) internal view returns (string memory name, string memory url, string memory email) {
        (uint256 n, uint256 u, uint256 e) = lengths(p);
        name = string(EntityCode.slice(p, 3 + n + u + e, n));
        url = string(EntityCode.slice(p, 3 + u + e, u));
        email = string(EntityCode.slice(p, 3 + e, e));
    }
}

/// [sensorType 2][latitudeE6 4][longitudeE6 4][the principal's previous sensor's index + 1: 4]
library SensorArgs {
    uint256 internal constant LEN = 14;

    function encode(uint16 sensorType, int32 latitudeE6, int32 longitudeE6, uint32 previousPlus1) internal pure returns (bytes memory) {
        return abi.encodePacked(sensorType, latitudeE6, longitudeE6, previousPlus1);
    }

    function read(address s)
        internal
        view
        returns (uint16 sensorType, int32 latitudeE6, int32 longitudeE6, uint32 previousPlus1)
    {
        uint256 w = EntityCode.word(s, LEN);
        sensorType = uint16(w >> 240);
        latitudeE6 = int32(uint32(w >> 208));
        longitudeE6 = int32(uint32(w >> 176));
        previousPlus1 = uint32(w >> 144);
    }
}

/// [the pair's previous subscription's index + 1: 4][buyer principal's index 4][sensor 20]
/// [startTimestamp 8][dataEntries 8][createdAt 5][pricePerDataEntry 16][own index 4]
library SubscriptionArgs {
    uint256 internal constant LEN = 69;

    struct Terms {
        uint32 previousPlus1;
        uint32 buyerIndex;
        address sensor;
        uint64 startTimestamp;
        uint64 dataEntries;
        uint40 createdAt;
        uint128 pricePerDataEntry;
        uint32 index;
    }

    function encode(Terms memory t) internal pure returns (bytes memory) {
        return abi.encodePacked(
            t.previousPlus1, t.buyerIndex, t.sensor, t.startTimestamp, t.dataEntries, t.createdAt, t.pricePerDataEntry, t.index
        );
    }

    function read(address a) internal view returns (Terms memory t) {
        bytes memory b = EntityCode.slice(a, LEN, LEN);
        uint256 f0;
        uint256 f1;
        uint256 f2;
        uint256 f3;
        uint256 f4;
        uint256 f5;
        uint256 f6;
        uint256 f7;
        assembly ("memory-safe") {
            let p := add(b, 0x20)
            f0 := shr(224, mload(p))
            f1 := shr(224, mload(add(p, 4)))
            f2 := shr(96, mload(add(p, 8)))
            f3 := shr(192, mload(add(p, 28)))
            f4 := shr(192, mload(add(p, 36)))
            f5 := shr(216, mload(add(p, 44)))
            f6 := shr(128, mload(add(p, 49)))
            f7 := shr(224, mload(add(p, 65)))
        }
        t = Terms(uint32(f0), uint32(f1), address(uint160(f2)), uint64(f3), uint64(f4), uint40(f5), uint128(f6), uint32(f7));
    }
}
