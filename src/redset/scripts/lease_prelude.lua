-- Shared head of every lease script. redset prepends to each one the
-- statements of this file that it uses, after clock_prelude.lua, which
-- defines clock() and exact(). The pop, peek and count scripts put a short
-- head between the two (lease_*_head.lua). Only top-level local statements
-- belong here (see src/redset/_lua.py).
-- KEYS[1]: the set (members, scored).
-- KEYS[2]: in-flight members, scored by lease deadline (Unix seconds).
-- KEYS[3]: hash of in-flight member -> "token deadline score": the fencing
--          token of its lease, its deadline as in KEYS[2], and the score it
--          had when claimed. Checking a lease then takes one read.
-- KEYS[4]: hash of member -> deliveries since its last ack.
-- KEYS[5]: dead letters (member -> score).
-- KEYS[6]: hash of dead letter -> "attempts reason".
-- ARGV[2]: deliveries after which an item goes to dead letters, or "".
-- ARGV[3]: the set's update policy as a ZADD flag ("NX", "GT", "LT"), or ""
--          for replace. It merges the two scores of an item that was added
--          while in flight and whose lease then ends without an ack.
-- KEYS[2] and KEYS[3] hold the same members, so an empty KEYS[2] means
-- that nothing is in flight. The scripts rely on that to skip work on
-- the common path.
-- A claim moves a member out of KEYS[1]. An add is a plain ZADD, so a
-- member added while it is in flight is in KEYS[1] and in KEYS[3] at once.
-- It is a member of the set, but the scripts that hand out members skip it
-- until its lease ends.
local waiting, leases, lease_info, attempts, dead, dead_info =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]

local max_attempts = tonumber(ARGV[2])

-- The ZADD flag that puts an item back when its lease ends without an ack.
-- An add made while the item was in flight counts as the newer add, so the
-- set's policy decides between its score and the returning one. "replace"
-- keeps the add's score (NX), "keep" keeps the returning one (no flag), and
-- "greater" and "less" keep the greater or lesser one (GT, LT).
local RETURN_FLAGS = {[''] = 'NX', NX = '', GT = 'GT', LT = 'LT'}
local return_flag = RETURN_FLAGS[ARGV[3]]

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

-- Whether this call has already read or written KEYS[3] and KEYS[4]. Each
-- is then a hash or missing, because a WRONGTYPE error would have ended the
-- script.
local hashes_checked = false

-- Read every key of the set once, so that a key holding another Redis type
-- raises WRONGTYPE before the script changes anything. Redis keeps the
-- writes a script made before an error, so each script that ends leases or
-- moves dead letters calls this before its first write. With
-- `skip_dead_letters`, the two dead-letter keys are not read, for a caller
-- that will not write them.
local set_checked, dead_letters_checked = false, false
local function check_types(skip_dead_letters)
  if not set_checked then
    redis.call('ZCARD', waiting)
    redis.call('ZCARD', leases)
    redis.call('HLEN', lease_info)
    redis.call('HLEN', attempts)
    set_checked = true
    hashes_checked = true
  end
  if not (skip_dead_letters or dead_letters_checked) then
    redis.call('ZCARD', dead)
    redis.call('HLEN', dead_info)
    dead_letters_checked = true
  end
end

-- Split a KEYS[3] value into the lease's token, its deadline and the
-- claimed score.
local function split_info(info)
  return string.match(info, '^(%S+) (%S+) (.+)$')
end

-- Tell whether a KEYS[3] value (or false) belongs to a lease with `token`
-- that has not expired.
local function held_by(info, token)
  if not info then
    return false
  end
  local lease_token, deadline = split_info(info)
  return lease_token == token and tonumber(deadline) > clock()
end

local function in_flight(member)
  return redis.call('HEXISTS', lease_info, member) == 1
end

local function owns(member, token)
  return held_by(redis.call('HGET', lease_info, member), token)
end

-- Move a member to dead letters with its delivery count: a number, or a
-- KEYS[4] value, which counts as 0 when it is not a number.
local function bury(member, score, count, reason)
  redis.call('ZADD', dead, score, member)
  count = string.format('%d', tonumber(count) or 0)
  redis.call('HSET', dead_info, member, count .. ' ' .. reason)
  redis.call('HDEL', attempts, member)
end

local function forget_lease(member)
  redis.call('ZREM', leases, member)
  redis.call('HDEL', lease_info, member)
end

-- Return the score a member in flight had when it was claimed.
local function claimed_score(member)
  local _, _, score = split_info(redis.call('HGET', lease_info, member))
  return score
end

-- Finish the leases given as member, token pairs in ARGV[first], ...:
-- forget each item whose lease the caller still holds. Returns the number
-- of leases finished. An item added while in flight is in the set already,
-- and is handed out again from then on.
local function finish_leases(first)
  local members = {}
  for i = first, #ARGV, 2 do
    members[#members + 1] = ARGV[i]
  end

  -- The same check as owns(), one HMGET per slice instead of one call per
  -- lease. Nothing changes until every lease is checked, so the order of
  -- the checks does not matter.
  local done, seen = {}, {}
  for start = 1, #members, 1000 do
    local stop = math.min(start + 999, #members)
    local infos = redis.call('HMGET', lease_info, unpack(members, start, stop))
    for n = start, stop do
      local member, token = members[n], ARGV[first + 2 * n - 1]
      if not seen[member] and held_by(infos[n - start + 1], token) then
        seen[member] = true
        done[#done + 1] = member
      end
    end
  end
  if #done == 0 then
    return 0
  end

  -- HMGET has read KEYS[3] and ZCARD reads KEYS[2], so only the first write
  -- can raise WRONGTYPE. An HDEL on KEYS[4] of another type then fails the
  -- ack before any change.
  redis.call('ZCARD', leases)
  call_sliced('HDEL', attempts, '', done)
  hashes_checked = true
  call_sliced('ZREM', leases, '', done)
  call_sliced('HDEL', lease_info, '', done)
  return #done
end

-- End a lease without an ack: the item waits again with `score`, unless it
-- has used up its deliveries, when it becomes a dead letter. An item that
-- was added while in flight is in the set already, so the set's policy
-- merges the two scores (see return_flag). A dead letter stays in the set
-- then, because that add asked for the work again.
local function end_lease(member, score)
  -- Only an item that has used up max_attempts goes to dead letters.
  check_types(not max_attempts)
  forget_lease(member)
  -- A count that another client overwrote with a value that is not a
  -- number counts as 0, so the lease still ends.
  local count = tonumber(redis.call('HGET', attempts, member)) or 0
  if max_attempts and count >= max_attempts then
    bury(member, score, count, 'max_attempts')
    buried[#buried + 1] = member
  elseif return_flag == '' then
    redis.call('ZADD', waiting, score, member)
  else
    redis.call('ZADD', waiting, return_flag, score, member)
  end
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
      end_lease(member, claimed_score(member))
    end
  end
end

-- Read up to `count` members next in line (only due ones when `due_only`)
-- after skipping the first `skip` of them, as a flat {member, score, ...}
-- list. `busy` is true when anything is in flight. Then the members that
-- are in flight are passed over, so the loop reads the set in pages and
-- looks up each page in the token hash.
local function next_in_line(due_only, skip, count, busy)
  if not busy then
    if due_only then
      return redis.call('ZRANGE', waiting, '-inf', exact(clock()), 'BYSCORE',
                        'LIMIT', skip, count, 'WITHSCORES')
    end
    return redis.call('ZRANGE', waiting, skip, skip + count - 1, 'WITHSCORES')
  end
  local found = {}
  if count == 0 then
    return found
  end
  -- The first page is just long enough when nothing in it is in flight,
  -- the common case. Each further page is twice as long, up to 1000.
  local offset = 0
  local page_size = math.min(skip + count, 1000)
  while #found < 2 * count do
    local page
    if due_only then
      page = redis.call('ZRANGE', waiting, '-inf', exact(clock()), 'BYSCORE',
                        'LIMIT', offset, page_size, 'WITHSCORES')
    else
      page = redis.call('ZRANGE', waiting, offset, offset + page_size - 1,
                        'WITHSCORES')
    end
    if #page == 0 then
      break
    end
    local members = {}
    for i = 1, #page, 2 do
      members[#members + 1] = page[i]
    end
    local held = redis.call('HMGET', lease_info, unpack(members))
    for n, member in ipairs(members) do
      if not held[n] and #found < 2 * count then
        if skip > 0 then
          skip = skip - 1
        else
          found[#found + 1] = member
          found[#found + 1] = page[2 * n]
        end
      end
    end
    if #members < page_size then
      break
    end
    offset = offset + #members
    page_size = math.min(page_size * 2, 1000)
  end
  return found
end

-- Remove up to `count` members next in line (only due ones when
-- `due_only`), passing over members in flight. Returns them as a flat
-- {member, score, ...} list, and the members alone.
local function take_waiting(due_only, count, busy)
  -- Pop and claim write to these hashes after they remove members. Reading
  -- them first makes a key of another type raise WRONGTYPE while nothing has
  -- changed. Two reads cost less than check_types() on this common path.
  if not hashes_checked then
    redis.call('HLEN', attempts)
    redis.call('HLEN', lease_info)
    hashes_checked = true
  end
  local taken
  if due_only or busy then
    taken = next_in_line(due_only, 0, count, busy)
  else
    taken = redis.call('ZPOPMIN', waiting, count)
  end
  local members = {}
  for i = 1, #taken, 2 do
    members[#members + 1] = taken[i]
  end
  if due_only or busy then
    call_sliced('ZREM', waiting, '', members)
  end
  return taken, members
end

-- Maximum number of waiting members that lowest_free_score() reads.
local HINT_PAGE = 100

-- Return the lowest score among the first HINT_PAGE waiting members that
-- are not in flight, or false. A member in flight cannot be handed out
-- before its lease ends, so its score must not shorten a poll. Otherwise a
-- due item that was added again while in flight would make the caller poll
-- at once, over and over, until the lease ended.
local function lowest_free_score(busy)
  if not busy then
    return redis.call('ZRANGE', waiting, 0, 0, 'WITHSCORES')[2] or false
  end
  local page = redis.call('ZRANGE', waiting, 0, HINT_PAGE - 1, 'WITHSCORES')
  if #page == 0 then
    return false
  end
  local members = {}
  for i = 1, #page, 2 do
    members[#members + 1] = page[i]
  end
  local lease_infos = redis.call('HMGET', lease_info, unpack(members))
  for n = 1, #members do
    if not lease_infos[n] then
      return page[2 * n]
    end
  end
  return false
end

-- Return {now, lowest score that can be handed out, earliest lease
-- deadline} for a caller that found nothing and will poll again. A missing
-- value gives false. `busy` is true when anything is in flight.
local function poll_hints(busy)
  local lowest = lowest_free_score(busy)
  local deadline = redis.call('ZRANGE', leases, 0, 0, 'WITHSCORES')
  return {exact(clock()), lowest, deadline[2] or false}
end
