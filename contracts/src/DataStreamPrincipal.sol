// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {PrincipalArgs} from "./EntityArgs.sol";
import {MarketplaceEntity} from "./MarketplaceEntity.sol";

/// A data stream principal (paper III.A): one per account, both seller (it owns sensors) and
/// buyer (DataMarketplace.subscribe takes a principal). Its owner, name, url and email are
/// immutable fields in its code; its RSA key's hash, its sensors and its proceeds are kept by the
/// marketplace, which emits the key itself in PrincipalKeyUpdated.
contract DataStreamPrincipal is MarketplaceEntity {
    /// The account that registered this principal; fixed for life (one principal per account).
    function owner() public view returns (address) {
        return PrincipalArgs.owner(address(this));
    }

    function name() external view returns (string memory n) {
        (n,,) = PrincipalArgs.strings(address(this));
    }

    function url() external view returns (string memory u) {
        (, u,) = PrincipalArgs.strings(address(this));
    }

    function email() external view returns (string memory e) {
        (,, e) = PrincipalArgs.strings(address(this));
    }

    /// keccak256 of the UTF-8 PEM of the current RSA public key (buyers' data keys are wrapped
    /// with it, paper III.B); the key is in the PrincipalKeyUpdated event of rsaPublicKeyBlock().
    function rsaPublicKeyHash() external view returns (bytes32) {
        return MARKETPLACE.principalInfo(address(this)).rsaPublicKeyHash;
    }

    /// The block whose PrincipalKeyUpdated event carries the current key.
    function rsaPublicKeyBlock() external view returns (uint64) {
        return MARKETPLACE.principalInfo(address(this)).rsaPublicKeyBlock;
    }

    /// Replaces the RSA public key; the marketplace stores its hash and emits PrincipalKeyUpdated.
    function setRsaPublicKey(string calldata rsaPublicKey) external {
        if (msg.sender != owner()) revert NotOwner(msg.sender);
        MARKETPLACE.entitySetPrincipalKey(rsaPublicKey);
    }

    function sensorCount() external view returns (uint256) {
        return MARKETPLACE.principalInfo(address(this)).sensorCount;
    }

    function sensorAt(uint256 index) external view returns (address) {
        address[] memory list = MARKETPLACE.sensorsOf(address(this));
        if (index >= list.length) revert NoSuchIndex(index);
        return list[index];
    }

    /// This principal's sensors, oldest first.
    function sensors() external view returns (address[] memory) {
        return MARKETPLACE.sensorsOf(address(this));
    }
}
