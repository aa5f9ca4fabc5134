/**
 * The Lua scripts behind the Redis coordination backend. Each decision runs as one script, so
 * that it is atomic across conductors, and reads the time from Redis (`TIME`), so that only
 * Redis's clock matters: the hosts' clocks never enter a stored time or a comparison. Every
 * time crosses a script's boundary as ms from now; inside Redis it is absolute, in ms.
 *
 * Every script that changes something publishes on the change channel (always `ARGV[1]`), so
 * that watchers elsewhere hear of it. Lease renewals that change no holder do not publish:
 * every conductor renews every few seconds, and a read on each renewal would be all noise.
 *
 * Keys: a limit is a string holding its end, with a TTL to that end; a breaker is a hash
 * (`version`, `body`, `openedAt`, `reopenAt`); an identity's slots are a sorted set of
 * holders scored by the end of their lease. Index sets list the keys of each kind, so that
 * `read` finds them without scanning the database; it drops the keys that have expired.
 */
import { createHash } from 'node:crypto';

export interface LuaScript {
  readonly lua: string;
  /** What `EVALSHA` knows the script by once Redis has seen it. */
  readonly sha: string;
}

const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/** A slot set lives as long as its longest lease, and no longer. */
const EXPIRE_SLOTS = `
local function expireSlots(key, index)
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if #last == 0 then
    redis.call('DEL', key)
    redis.call('SREM', index, key)
  else
    redis.call('PEXPIRE', key, math.max(1, math.ceil(tonumber(last[2]) - now)))
  end
end
`;

function script(body: string): LuaScript {
  const lua = NOW + body;
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/** KEYS: limit, limits index. ARGV: channel, wait ms (integer). Returns the ms in force. */
export const REPORT_LIMIT = script(`
local wait = tonumber(ARGV[2])
local ends = tonumber(redis.call('GET', KEYS[1]) or '0')
local remaining = math.max(0, ends - now)
if wait <= remaining then return remaining end
redis.call('SET', KEYS[1], now + wait, 'PX', wait)
redis.call('SADD', KEYS[2], KEYS[1])
redis.call('PUBLISH', ARGV[1], 'limit')
return wait
`);

/** KEYS: limit, limits index. ARGV: channel. */
export const CLEAR_LIMIT = script(`
redis.call('SREM', KEYS[2], KEYS[1])
if redis.call('DEL', KEYS[1]) == 1 then redis.call('PUBLISH', ARGV[1], 'limit') end
return 1
`);

/**
 * KEYS: breaker, breakers index. ARGV: channel, expected version, body ('' deletes it),
 * openedAt and reopenAt in ms from now ('' for null), TTL after the last write in ms.
 * Returns 1 when written, 0 when the version had moved on.
 */
export const WRITE_BREAKER = script(`
local version = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if version ~= tonumber(ARGV[2]) then return 0 end
if ARGV[3] == '' then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], KEYS[1])
else
  redis.call('HSET', KEYS[1], 'version', version + 1, 'body', ARGV[3])
  local ttl = tonumber(ARGV[6])
  for i, field in ipairs({ 'openedAt', 'reopenAt' }) do
    local offset = ARGV[3 + i]
    if offset == '' then
      redis.call('HDEL', KEYS[1], field)
    else
      redis.call('HSET', KEYS[1], field, now + tonumber(offset))
      if field == 'reopenAt' then ttl = ttl + math.max(0, tonumber(offset)) end
    end
  end
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('SADD', KEYS[2], KEYS[1])
end
redis.call('PUBLISH', ARGV[1], 'breaker')
return 1
`);

/**
 * KEYS: slot set, slots index. ARGV: channel, holder, limit, lease ms (integer).
 * Returns 1 when the holder holds a slot afterwards.
 */
export const CLAIM_SLOT = script(`${EXPIRE_SLOTS}
local changed = redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now) > 0
local holder, limit, lease = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local held = redis.call('ZSCORE', KEYS[1], holder)
local granted = 0
if lease > 0 and (held or redis.call('ZCARD', KEYS[1]) < limit) then
  redis.call('ZADD', KEYS[1], now + lease, holder)
  redis.call('SADD', KEYS[2], KEYS[1])
  granted = 1
  changed = changed or not held
elseif held then
  redis.call('ZREM', KEYS[1], holder)
  changed = true
end
expireSlots(KEYS[1], KEYS[2])
if changed then redis.call('PUBLISH', ARGV[1], 'slots') end
return granted
`);

/** KEYS: slot set, slots index. ARGV: channel, lease ms (integer), holders… Returns the holders no longer held. */
export const RENEW_SLOTS = script(`${EXPIRE_SLOTS}
local changed = redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now) > 0
local lease = tonumber(ARGV[2])
local lost = {}
for i = 3, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    if lease > 0 then
      redis.call('ZADD', KEYS[1], 'XX', now + lease, ARGV[i])
    else
      redis.call('ZREM', KEYS[1], ARGV[i])
      changed = true
    end
  else
    table.insert(lost, ARGV[i])
  end
end
expireSlots(KEYS[1], KEYS[2])
if changed then redis.call('PUBLISH', ARGV[1], 'slots') end
return lost
`);

/** KEYS: slot set, slots index. ARGV: channel, holder. */
export const RELEASE_SLOT = script(`${EXPIRE_SLOTS}
if redis.call('ZREM', KEYS[1], ARGV[2]) == 1 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  expireSlots(KEYS[1], KEYS[2])
  redis.call('PUBLISH', ARGV[1], 'slots')
end
return 1
`);

/**
 * KEYS: limits, breakers and slots indexes. Reads the keys they list — keys a script does not
 * declare, which standalone Redis allows and Redis Cluster would not — and drops the expired.
 * Returns three lists, times in ms from now:
 * limits `{ key, remaining, … }`; breakers `{ key, version, body, openedAt|'', reopenAt|'', … }`;
 * slots `{ key, { holder, remaining, … }, … }`.
 */
export const READ = script(`
local limits, breakers, slots = {}, {}, {}
for _, key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local ends = tonumber(redis.call('GET', key) or '0')
  if ends > now then
    table.insert(limits, key)
    table.insert(limits, ends - now)
  else
    redis.call('SREM', KEYS[1], key)
  end
end
for _, key in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local b = redis.call('HMGET', key, 'version', 'body', 'openedAt', 'reopenAt')
  if b[1] then
    table.insert(breakers, key)
    table.insert(breakers, tonumber(b[1]))
    table.insert(breakers, b[2])
    for i = 3, 4 do
      if b[i] then table.insert(breakers, tostring(tonumber(b[i]) - now)) else table.insert(breakers, '') end
    end
  else
    redis.call('SREM', KEYS[2], key)
  end
end
for _, key in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  local live = redis.call('ZRANGEBYSCORE', key, '(' .. now, '+inf', 'WITHSCORES')
  if #live > 0 then
    local holders = {}
    for i = 1, #live, 2 do
      table.insert(holders, live[i])
      table.insert(holders, tonumber(live[i + 1]) - now)
    end
    table.insert(slots, key)
    table.insert(slots, holders)
  else
    redis.call('SREM', KEYS[3], key)
  end
end
return { limits, breakers, slots }
`);
