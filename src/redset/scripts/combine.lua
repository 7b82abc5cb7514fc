-- Combine two sorted sets on the server, then read, store or count the result.
-- KEYS[1]: the set.
-- KEYS[2]: the other set, or a temporary key that ARGV[5...] fill first.
-- KEYS[3]: where the result goes: KEYS[1] to store in place, or a temporary key.
-- KEYS[4], KEYS[5]: temporary keys for the symmetric difference.
-- KEYS[6]: the set's hash of in-flight member -> lease token and score.
-- KEYS[7]: the set's hash of member -> deliveries since its last ack.
-- ARGV[1]: "union", "inter", "diff" (KEYS[1] minus KEYS[2]) or "xor".
-- ARGV[2]: "SUM", "MIN" or "MAX": how union and intersection combine the two
--   scores of a member that is in both sets.
-- ARGV[3]: "read" returns the members of the result in score order;
--   "store" keeps it in KEYS[3] and returns {ZCARD before, ZCARD after};
--   "count" returns {ZCARD KEYS[1], ZCARD KEYS[2], ZCARD of the result}.
-- ARGV[4]: "" when KEYS[2] is a set. "absolute" or "relative" when ARGV[5...]
--   are score, member pairs to load into KEYS[2]; relative scores are seconds
--   after the server clock's now. An intersection with loaded members keeps
--   the scores of KEYS[1].
-- In "store" mode an item in flight under a lease takes part only if it was
-- added to the set while in flight, because a claim takes it out of the
-- set. One that the result puts in the set is handed out after its lease
-- ends, as after an add while in flight.
-- NOTE: a lease that expired but was not yet returned by a lease script
-- still counts as in flight here, so removing its item with &=, ^= or -= of
-- another redset set leaves the item to come back with its claimed score,
-- where discard() would remove it.
-- Every temporary key is deleted before the script returns, also on error,
-- because Redis does not roll back the writes of a failed script.
local operation, aggregate, mode, literal = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local set, other, target = KEYS[1], KEYS[2], KEYS[3]
local lease_info, attempts = KEYS[6], KEYS[7]

local function cleanup()
  local temporary = {KEYS[4], KEYS[5]}
  if literal ~= '' then
    temporary[#temporary + 1] = other
  end
  if mode ~= 'store' then
    temporary[#temporary + 1] = target
  end
  redis.call('DEL', unpack(temporary))
end

local function load_members()
  local now = 0
  if literal == 'relative' then
    local time = redis.call('TIME')
    now = tonumber(time[1]) + tonumber(time[2]) / 1000000
  end
  -- ZADD in slices, because unpack() of a long table overflows the Lua stack.
  local args = {}
  for i = 5, #ARGV, 2 do
    if literal == 'relative' then
      args[#args + 1] = now + tonumber(ARGV[i])
    else
      args[#args + 1] = ARGV[i]
    end
    args[#args + 1] = ARGV[i + 1]
    if #args == 2000 or i + 2 > #ARGV then
      local reply = redis.pcall('ZADD', other, unpack(args))
      if type(reply) == 'table' and reply.err then
        return reply
      end
      args = {}
    end
  end
  return 0
end

local function combine()
  if operation == 'union' then
    return redis.pcall('ZUNIONSTORE', target, 2, set, other, 'AGGREGATE', aggregate)
  end
  if operation == 'inter' then
    if literal ~= '' then
      -- Loaded members score 0 and weigh 0, so the sum is the set's own score.
      return redis.pcall(
        'ZINTERSTORE', target, 2, set, other, 'WEIGHTS', 1, 0, 'AGGREGATE', 'SUM')
    end
    return redis.pcall('ZINTERSTORE', target, 2, set, other, 'AGGREGATE', aggregate)
  end
  if operation == 'diff' then
    return redis.pcall('ZDIFFSTORE', target, 2, set, other)
  end
  -- The symmetric difference is (set - other) + (other - set). No member is
  -- in both parts, so every score is the one it had on its own side.
  local reply = redis.pcall('ZDIFFSTORE', KEYS[4], 2, set, other)
  if type(reply) == 'table' and reply.err then
    return reply
  end
  reply = redis.pcall('ZDIFFSTORE', KEYS[5], 2, other, set)
  if type(reply) == 'table' and reply.err then
    return reply
  end
  return redis.pcall('ZUNIONSTORE', target, 2, KEYS[4], KEYS[5])
end

-- A member that left the set and is not in flight starts again from zero
-- deliveries if it is added later, as after discard().
local function forget_attempts()
  for _, member in ipairs(redis.call('HKEYS', attempts)) do
    if redis.call('HEXISTS', lease_info, member) == 0
        and not redis.call('ZSCORE', set, member) then
      redis.call('HDEL', attempts, member)
    end
  end
end

local function run()
  if literal ~= '' then
    local loaded = load_members()
    if type(loaded) == 'table' then
      return loaded
    end
  end
  local cards = {}
  if mode == 'store' then
    -- forget_attempts writes to these hashes after the set has changed, so
    -- a hash of another type must raise before anything is written.
    for _, hash in ipairs({attempts, lease_info}) do
      local checked = redis.pcall('HLEN', hash)
      if type(checked) == 'table' then
        return checked
      end
    end
    cards[1] = redis.pcall('ZCARD', target)
  elseif mode == 'count' then
    cards[1] = redis.pcall('ZCARD', set)
    cards[2] = redis.pcall('ZCARD', other)
  end
  for _, card in ipairs(cards) do
    if type(card) == 'table' then
      return card
    end
  end
  local size = combine()
  if type(size) == 'table' then
    return size
  end
  if mode == 'read' then
    return redis.call('ZRANGE', target, 0, -1)
  end
  if mode == 'store' then
    forget_attempts()
  end
  cards[#cards + 1] = size
  return cards
end

local reply = run()
cleanup()
return reply
