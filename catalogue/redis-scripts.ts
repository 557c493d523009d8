// The index's writes as Lua scripts: Redis runs each atomically, so a sensor's hash and every set
// that lists it change together, and the version check (the block the state was read at) and the
// write cannot be split by another instance's write. Scripts name their keys from the prefix
// they are given, as the sets a sensor leaves are known only once its hash is read: fine on one
// Redis (or a replicated one), not on Redis Cluster (docs/graphql.md says so).

// ARGV: prefix, block, sensor, principal, owner, type, latE6, lonE6, price, priceScore, status,
// subscriptionCount, index (-1: keep the stored one), lat, lon. Returns 1 written, 0 skipped
// (older than what is stored), -1 skipped (index -1 and none stored).
export const PUT_SENSOR = `
local P, v, a = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local h = P .. 's:' .. a
local old = redis.call('HMGET', h, 'v', 't', 'st', 'p', 'i')
if old[1] and tonumber(old[1]) > v then return 0 end
local i = tonumber(ARGV[13])
if i < 0 then
  if not old[5] then return -1 end
  i = tonumber(old[5])
end
if old[2] then redis.call('ZREM', P .. 'type:' .. old[2], a) end
if old[3] then redis.call('ZREM', P .. 'status:' .. old[3], a) end
if old[4] then redis.call('ZREM', P .. 'seller:' .. old[4], a) end
redis.call('HSET', h, 'v', ARGV[2], 'p', ARGV[4], 'o', ARGV[5], 't', ARGV[6], 'la', ARGV[7], 'lo', ARGV[8],
  'pr', ARGV[9], 'st', ARGV[11], 'sc', ARGV[12], 'i', i)
redis.call('ZADD', P .. 'order', i, a)
redis.call('ZADD', P .. 'type:' .. ARGV[6], i, a)
redis.call('ZADD', P .. 'status:' .. ARGV[11], i, a)
redis.call('ZADD', P .. 'seller:' .. ARGV[4], i, a)
redis.call('ZADD', P .. 'price', ARGV[10], a)
local lat, lon = tonumber(ARGV[14]), tonumber(ARGV[15])
redis.call('ZADD', P .. 'lat', lat, a)
redis.call('ZADD', P .. 'lon', lon, a)
-- Redis GEO indexes latitudes within +-85.05112878 (Web Mercator); a sensor nearer a pole is
-- found by its box, not by a radius.
if lat >= -85.05112878 and lat <= 85.05112878 then
  redis.call('GEOADD', P .. 'geo', lon, lat, a)
else
  redis.call('ZREM', P .. 'geo', a)
end
return 1`;

// ARGV: prefix, block, principal, owner, name, url, email, keyHash, sensorCount, pendingWithdrawal,
// index (-1: keep the stored one). Returns as PUT_SENSOR.
export const PUT_PRINCIPAL = `
local P, v, a = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local h = P .. 'p:' .. a
local old = redis.call('HMGET', h, 'v', 'i')
if old[1] and tonumber(old[1]) > v then return 0 end
local i = tonumber(ARGV[11])
if i < 0 then
  if not old[2] then return -1 end
  i = tonumber(old[2])
end
redis.call('HSET', h, 'v', ARGV[2], 'o', ARGV[4], 'n', ARGV[5], 'u', ARGV[6], 'e', ARGV[7], 'k', ARGV[8],
  'sc', ARGV[9], 'pw', ARGV[10], 'i', i)
redis.call('ZADD', P .. 'porder', i, a)
return 1`;

// ARGV: prefix, kind (s, p, sub), address. An entity the chain no longer has (a reorg undid it).
export const REMOVE = `
local P, k, a = ARGV[1], ARGV[2], ARGV[3]
local h = P .. k .. ':' .. a
if k == 's' then
  local old = redis.call('HMGET', h, 't', 'st', 'p')
  if old[1] then redis.call('ZREM', P .. 'type:' .. old[1], a) end
  if old[2] then redis.call('ZREM', P .. 'status:' .. old[2], a) end
  if old[3] then redis.call('ZREM', P .. 'seller:' .. old[3], a) end
  for _, z in ipairs({'order', 'price', 'lat', 'lon', 'geo'}) do redis.call('ZREM', P .. z, a) end
elseif k == 'p' then
  redis.call('ZREM', P .. 'porder', a)
else
  local b = redis.call('HGET', h, 'b')
  if b then redis.call('ZREM', P .. 'buyer:' .. b, a) end
end
return redis.call('DEL', h)`;

// ARGV: prefix, block, subscription, buyer, sensor, start, entries, createdAt, paid.
export const PUT_SUBSCRIPTION = `
local P, v, a = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local h = P .. 'sub:' .. a
local old = redis.call('HGET', h, 'v')
if old and tonumber(old) > v then return 0 end
redis.call('HSET', h, 'v', ARGV[2], 'b', ARGV[4], 's', ARGV[5], 'st', ARGV[6], 'de', ARGV[7], 'cr', ARGV[8],
  'pd', ARGV[9])
redis.call('ZADD', P .. 'buyer:' .. ARGV[4], tonumber(ARGV[8]), a)
return 1`;

// KEYS[1] the market hash. ARGV: block, force (1/0: a retraction writes an earlier block), then
// field/value pairs.
export const PUT_MARKET = `
local old = redis.call('HGET', KEYS[1], 'v')
if ARGV[2] ~= '1' and old and tonumber(old) > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], unpack(ARGV, 3))
return 1`;

// KEYS[1] the checkpoint. ARGV: block, force (1/0). Only forward, unless forced.
export const SET_CHECKPOINT = `
local old = redis.call('GET', KEYS[1])
if ARGV[2] ~= '1' and old and tonumber(old) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1`;

// KEYS[1] the activity hash. ARGV: entriesStored, lastPublishAt (ms, 0: unknown). Each only rises.
export const RAISE_ACTIVITY = `
local n = redis.call('HGET', KEYS[1], 'n')
if not n or tonumber(n) < tonumber(ARGV[1]) then redis.call('HSET', KEYS[1], 'n', ARGV[1]) end
local at = redis.call('HGET', KEYS[1], 'at')
if tonumber(ARGV[2]) > 0 and (not at or tonumber(at) < tonumber(ARGV[2])) then
  redis.call('HSET', KEYS[1], 'at', ARGV[2])
end
return 1`;
