-- Shared head of every lease script. redset prepends it to each one, after
-- clock_prelude.lua, which sets `now` from ARGV[1].
-- KEYS[1]: the set (waiting members, scored).
-- KEYS[2]: in-flight members, scored by lease deadline (Unix seconds).
-- KEYS[3]: hash of in-flight member -> fencing token of its lease.
-- KEYS[4]: hash of in-flight member -> score it had when claimed.
-- KEYS[5]: hash of member -> deliveries since its last ack.
-- KEYS[6]: hash of in-flight member -> "FLAG score" of an add made while
--          it was in flight, applied when the lease ends.
-- KEYS[7]: dead letters (member -> score).
-- KEYS[8]: hash of dead letter -> "attempts reason".
-- ARGV[2]: deliveries after which an item goes to dead letters, or "".
local waiting, leases, tokens, claimed_scores, attempts, readded, dead, dead_info =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]

local max_attempts = tonumber(ARGV[2])

-- Members this call moved to dead letters for using up their deliveries.
local buried = {}

local function zadd(key, flag, score, member)
  if flag == '' then
    return redis.call('ZADD', key, score, member)
  end
  return redis.call('ZADD', key, flag, score, member)
end

local function in_flight(member)
  return redis.call('HEXISTS', tokens, member) == 1
end

local function owns(member, token)
  if redis.call('HGET', tokens, member) ~= token then
    return false
  end
  local deadline = tonumber(redis.call('ZSCORE', leases, member))
  return deadline ~= nil and deadline > now
end

local function bury(member, score, count, reason)
  redis.call('ZADD', dead, score, member)
  redis.call('HSET', dead_info, member, count .. ' ' .. reason)
  redis.call('HDEL', attempts, member)
end

local function forget_lease(member)
  redis.call('ZREM', leases, member)
  redis.call('HDEL', tokens, member)
  redis.call('HDEL', claimed_scores, member)
end

-- Run the add that arrived while the member was in flight, as ZADD would.
local function apply_mark(member)
  local mark = redis.call('HGET', readded, member)
  if not mark then
    return
  end
  redis.call('HDEL', readded, member)
  local flag, score = string.match(mark, '^(%a*) (.+)$')
  zadd(waiting, flag, score, member)
end

-- End a lease without an ack: the item waits again with `score`, unless it
-- has used up its deliveries, when it becomes a dead letter.
local function end_lease(member, score)
  forget_lease(member)
  local count = tonumber(redis.call('HGET', attempts, member) or 0)
  if max_attempts and count >= max_attempts then
    bury(member, score, count, 'max_attempts')
    buried[#buried + 1] = member
  else
    redis.call('ZADD', waiting, score, member)
  end
  apply_mark(member)
end

-- Return every expired lease's item to the set, so reads see it again.
local function reclaim()
  while true do
    local expired = redis.call('ZRANGE', leases, '-inf', now, 'BYSCORE',
                               'LIMIT', 0, 500)
    if #expired == 0 then
      return
    end
    for _, member in ipairs(expired) do
      end_lease(member, redis.call('HGET', claimed_scores, member))
    end
  end
end

local function next_deadline()
  local first = redis.call('ZRANGE', leases, 0, 0, 'WITHSCORES')
  return first[2] or false
end

-- Up to `count` members next in line (only due ones when `due_only`), as a
-- flat {member, score, ...} list.
local function next_waiting(due_only, count)
  if due_only then
    return redis.call('ZRANGE', waiting, '-inf', now, 'BYSCORE',
                      'LIMIT', 0, count, 'WITHSCORES')
  end
  return redis.call('ZRANGE', waiting, 0, count - 1, 'WITHSCORES')
end

local function lowest_score()
  local first = redis.call('ZRANGE', waiting, 0, 0, 'WITHSCORES')
  return first[2] or false
end

