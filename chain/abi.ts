// Human-readable ABI fragments of the parts of docs/contracts-api.md the gateway reads.
export const MARKETPLACE_ABI = [
  'function principalOf(address account) view returns (address)',
  'function isPrincipal(address) view returns (bool)',
  'function isSensor(address) view returns (bool)',
  'function isSubscription(address) view returns (bool)',
  'event PrincipalRegistered(address indexed principal, address indexed owner, string name)',
  'event PrincipalKeyUpdated(address indexed principal, bytes32 keyHash, string rsaPublicKey)',
  'event SensorRegistered(address indexed sensor, address indexed ' +
    'principal, uint16 sensorType, uint128 pricePerDataEntry)',
  'event SensorStatusChanged(address indexed sensor, uint8 status)',
  'event Subscribed(address indexed subscription, address indexed sensor, address indexed buyer, uint64 ' +
    'startTimestamp, uint64 dataEntries, uint256 paid)',
] as const;

export const SENSOR_ABI = [
  'function principal() view returns (address)',
  'function owner() view returns (address)',
  'function status() view returns (uint8)',
  'function sensorType() view returns (uint16)',
  'function pricePerDataEntry() view returns (uint128)',
] as const;

// SensorStatus: 0 Inactive, 1 Active, 2 Blocked.
export const STATUS = ['inactive', 'active', 'blocked'] as const;
