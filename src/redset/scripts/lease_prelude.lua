-- Shared head of every lease script. redset prepends it to each one, after
-- clock_prelude.lua, which defines clock() and exact().
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
-- KEYS[2], KEYS[3] and KEYS[4] hold the same members, and KEYS[6] holds
-- only in-flight members, so an empty KEYS[2] means that nothing is in
-- flight. The scripts rely on that to skip work on the common path.
local waiting, leases, tokens, claimed_scores, attempts, readded, dead, dead_info =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]

local max_attempts = tonumber(ARGV[2])

-- Members this call moved to dead letters for using up their deliveries.
local buried = {}

-- Run COMMAND KEY [OPTION] with values[first..last] (all of them by
-- default) in slices of 1000, because unpack() of a long table overflows
-- the Lua stack. The width is even, so pairs stay whole. OPTION is left
-- out when it is "". Returns the sum of the integer replies.
local function call_sliced(command, key, option, values, first, last)
  first, last = first or 1, last or #values
  local total = 0
  for start = first, last, 1000 do
    local stop = math.min(start + 999, last)
    if option == '' then
      total = total + redis.call(command, key, unpack(values, start, stop))
    else
      total = total + redis.call(command, key, option,
                                 unpack(values, start, stop))
    end
  end
  return total
end

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
  return deadline ~= nil and deadline > clock()
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
-- `mark` is the member's value in KEYS[6] when the caller has read it.
local function apply_mark(member, mark)
  if mark == nil then
    mark = redis.call('HGET', readded, member)
  end
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
-- Returns whether any item is still in flight afterwards. When none is,
-- this costs one ZRANGE and reads no clock.
local function reclaim()
  local first = redis.call('ZRANGE', leases, 0, 0, 'WITHSCORES')
  if #first == 0 then
    return false
  end
  if tonumber(first[2]) > clock() then
    return true
  end
  local limit = exact(clock())
  while true do
    local expired = redis.call('ZRANGE', leases, '-inf', limit, 'BYSCORE',
                               'LIMIT', 0, 500)
    if #expired == 0 then
      return redis.call('EXISTS', leases) == 1
    end
    for _, member in ipairs(expired) do
      end_lease(member, redis.call('HGET', claimed_scores, member))
    end
  end
end

-- Remove up to `count` members next in line (only due ones when
-- `due_only`). Returns them as a flat {member, score, ...} list, and the
-- members alone.
local function take_waiting(due_only, count)
  local taken
  if due_only then
    taken = redis.call('ZRANGE', waiting, '-inf', exact(clock()), 'BYSCORE',
                       'LIMIT', 0, count, 'WITHSCORES')
  else
    taken = redis.call('ZPOPMIN', waiting, count)
  end
  local members = {}
  for i = 1, #taken, 2 do
    members[#members + 1] = taken[i]
  end
  if due_only then
    call_sliced('ZREM', waiting, '', members)
  end
  return taken, members
end

-- Return {now, lowest waiting score, earliest lease deadline} for a caller
-- that found nothing and will poll again. A missing member gives false.
local function poll_hints()
  local lowest = redis.call('ZRANGE', waiting, 0, 0, 'WITHSCORES')
  local deadline = redis.call('ZRANGE', leases, 0, 0, 'WITHSCORES')
  return {exact(clock()), lowest[2] or false, deadline[2] or false}
end

