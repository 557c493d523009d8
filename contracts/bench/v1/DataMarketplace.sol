// SPDX-License-Identifier: Apache-2.0
// Frozen copy of contracts/src/DataMarketplace.sol as of a9f5f06 (before issue 16): the "before" column of
// `npm run bench:gas`. Compiled only by scripts/bench-gas.ts; never deployed.
pragma solidity ^0.8.28;

import {Clones} from "./Clones.sol";
import {DataStreamPrincipal} from "./DataStreamPrincipal.sol";
import {DataStreamSubscription} from "./DataStreamSubscription.sol";
import {MarketplaceCore} from "./MarketplaceCore.sol";
import {Sensor} from "./Sensor.sol";

/// The ITrade data marketplace (docs/contracts-api.md). Every principal, sensor and subscription
/// keeps its own address, as the paper wants, but is an EIP-1167 clone of one implementation
/// this constructor deploys: 45 bytes of code per entity instead of a full copy.
contract DataMarketplace is MarketplaceCore {
    address public immutable principalImplementation;
    address public immutable sensorImplementation;
    address public immutable subscriptionImplementation;

    constructor(uint256 dspRegistrationPrice_, uint256 sensorRegistrationPrice_, uint16 commissionBps_)
        MarketplaceCore(dspRegistrationPrice_, sensorRegistrationPrice_, commissionBps_)
    {
        // Deployed by this contract, so their MARKETPLACE is this contract, and only this
        // contract could ever initialise them (it never does).
        principalImplementation = address(new DataStreamPrincipal());
        sensorImplementation = address(new Sensor());
        subscriptionImplementation = address(new DataStreamSubscription());
    }

    function _newPrincipal() internal override returns (address) {
        return Clones.clone(principalImplementation);
    }

    function _newSensor() internal override returns (address) {
        return Clones.clone(sensorImplementation);
    }

    function _newSubscription() internal override returns (address) {
        return Clones.clone(subscriptionImplementation);
    }
}
