// SPDX-License-Identifier: Apache-2.0
// Frozen copy of contracts/src/DataStreamPrincipal.sol as of a9f5f06 (before issue 16): the "before" column of
// `npm run bench:gas`. Compiled only by scripts/bench-gas.ts; never deployed.
pragma solidity ^0.8.28;

import {MarketplaceEntity} from "./MarketplaceEntity.sol";

/// A data stream principal (paper III.A): one per account, both seller (it registers sensors)
/// and buyer (Sensor.subscribe takes a principal). Created by DataMarketplace as an EIP-1167 clone.
contract DataStreamPrincipal is MarketplaceEntity {
    /// The account that registered this principal; fixed for life (one principal per account).
    address public owner;
    string public name;
    string public url;
    string public email;
    /// Buyers' data keys are wrapped with this key (paper III.B, key exchange).
    string public rsaPublicKey;
    address[] private sensorList;

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    /// Called once by the marketplace, in the transaction that creates this clone.
    function initialize(
        address owner_,
        string calldata name_,
        string calldata url_,
        string calldata email_,
        string calldata rsaPublicKey_
    ) external onlyMarketplace {
        if (owner != address(0)) revert AlreadyInitialized();
        owner = owner_;
        name = name_;
        url = url_;
        email = email_;
        rsaPublicKey = rsaPublicKey_;
    }

    /// Replaces the RSA public key; the marketplace emits PrincipalKeyUpdated(this).
    function setRsaPublicKey(string calldata rsaPublicKey_) external onlyOwner {
        if (bytes(rsaPublicKey_).length == 0) revert EmptyField("rsaPublicKey");
        rsaPublicKey = rsaPublicKey_;
        MARKETPLACE.notifyPrincipalKey();
    }

    /// Registers a sensor of this principal. msg.value must be exactly the marketplace's
    /// sensorRegistrationPrice; it goes to the marketplace's fees, never stays here.
    function registerSensor(uint16 sensorType, int32 latitudeE6, int32 longitudeE6, uint128 pricePerDataEntry)
        external
        payable
        onlyOwner
        returns (address sensor)
    {
        sensor = MARKETPLACE.createSensor{value: msg.value}(owner, sensorType, latitudeE6, longitudeE6, pricePerDataEntry);
        sensorList.push(sensor);
    }

    function sensorCount() external view returns (uint256) {
        return sensorList.length;
    }

    function sensorAt(uint256 index) external view returns (address) {
        return sensorList[index];
    }

    function sensors() external view returns (address[] memory) {
        return sensorList;
    }
}
