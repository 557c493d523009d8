// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {DataStreamPrincipal} from "../src/DataStreamPrincipal.sol";
import {DataStreamSubscription} from "../src/DataStreamSubscription.sol";
import {MarketplaceCore} from "../src/MarketplaceCore.sol";
import {Sensor} from "../src/Sensor.sol";

/// Gas benchmark only (scripts/bench-gas.ts): the same marketplace, but each entity is a full
/// contract deployed with `new` (as in the paper's code) instead of an EIP-1167 clone. Everything
/// else, storage layout and initialisation included, is the code DataMarketplace runs.
contract DataMarketplaceFull is MarketplaceCore {
    constructor(uint256 dspRegistrationPrice_, uint256 sensorRegistrationPrice_, uint16 commissionBps_)
        MarketplaceCore(dspRegistrationPrice_, sensorRegistrationPrice_, commissionBps_)
    {}

    function _newPrincipal() internal override returns (address) {
        return address(new DataStreamPrincipal());
    }

    function _newSensor() internal override returns (address) {
        return address(new Sensor());
    }

    function _newSubscription() internal override returns (address) {
        return address(new DataStreamSubscription());
    }
}
