// SPDX-License-Identifier: Apache-2.0
// Frozen copy of contracts/src/Clones.sol as of a9f5f06 (before issue 16): the "before" column of
// `npm run bench:gas`. Compiled only by scripts/bench-gas.ts; never deployed.
pragma solidity ^0.8.28;

import {IMarketplaceErrors} from "./IMarketplace.sol";

/// EIP-1167 minimal proxies: a 45-byte contract that DELEGATECALLs every call to `implementation`
/// and returns or reverts with its result. Deploying one costs about a tenth of a full copy.
library Clones {
    /// Deploys `363d3d373d3d3d363d73 <implementation> 5af43d82803e903d91602b57fd5bf3` (EIP-1167
    /// runtime code) behind the 10-byte creation prefix `3d602d80600a3d3981f3`.
    function clone(address implementation) internal returns (address instance) {
        assembly ("memory-safe") {
            // Scratch space 0x00..0x3f only. Bytes 0x09..0x3f (55 bytes) are the creation code:
            // word 0 ends with the prefix, the runtime head and the top 3 address bytes; word 1
            // starts with the other 17 address bytes, then the 15-byte runtime tail.
            mstore(0x00, or(shr(0xe8, shl(0x60, implementation)), 0x3d602d80600a3d3981f3363d3d373d3d3d363d73000000))
            mstore(0x20, or(shl(0x78, implementation), 0x5af43d82803e903d91602b57fd5bf3))
            instance := create(0, 0x09, 0x37)
        }
        if (instance == address(0)) revert IMarketplaceErrors.CloneFailed();
    }
}
