/**
 * Lua for the per-target state shared by every scheduler instance. Each script runs atomically in
 * Redis, so instances racing on one target agree on one breaker state and one probe.
 * Instants come from the caller's clock (ARGV) so tests can drive time.
 */

/**
 * May a dispatch go? CLOSED: yes. OPEN past its cool-down, or HALF_OPEN whose probe lease ran out: this caller
 * becomes the probe.
 */
export const BREAKER_PASS = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state or state == 'CLOSED' then return {1, 0, tonumber(redis.call('HGET', KEYS[1], 'failures') or '0')} end
local now = tonumber(ARGV[1])
local retryAt = tonumber(redis.call('HGET', KEYS[1], 'retryAt') or '0')
if now < retryAt then return {0, retryAt, 0} end
redis.call('HSET', KEYS[1], 'state', 'HALF_OPEN', 'retryAt', string.format('%.0f', now + tonumber(ARGV[2])),
  'probe', ARGV[3], 'changedAt', ARGV[1])
return {1, 0, 1}`;

/** A failed sync request: counts; opens the breaker at the threshold, or again if the probe failed. */
export const BREAKER_FAIL = `
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
redis.call('HSET', KEYS[1], 'lastError', ARGV[4], 'lastFailureAt', ARGV[1])
local state = redis.call('HGET', KEYS[1], 'state') or 'CLOSED'
if state == 'HALF_OPEN' or (state == 'CLOSED' and failures >= tonumber(ARGV[2])) then
  redis.call('HSET', KEYS[1], 'state', 'OPEN', 'retryAt', string.format('%.0f', tonumber(ARGV[1]) + tonumber(ARGV[3])),
    'openedAt', ARGV[1], 'changedAt', ARGV[1])
  redis.call('HINCRBY', KEYS[1], 'timesOpened', 1)
  return 1
end
return 0`;

/** A sync request the target answered: it is alive again. */
export const BREAKER_SUCCEED = `
local state = redis.call('HGET', KEYS[1], 'state')
redis.call('HSET', KEYS[1], 'failures', 0)
if state and state ~= 'CLOSED' then
  redis.call('HSET', KEYS[1], 'state', 'CLOSED', 'retryAt', 0, 'changedAt', ARGV[1])
  return 1
end
return 0`;

/** A concurrency permit: holders are task ids scored by lease end, so a crashed holder's permit expires. */
export const PERMIT_ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZSCORE', KEYS[1], ARGV[3]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[4]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
  return 1
end
return 0`;
