-- Read the page of members that follows a cursor, in the set's own order.
-- KEYS[1]: the set.
-- ARGV[1]: page size.
-- ARGV[2]: the lowest score of the first page, as a ZRANGE BYSCORE bound
-- ("-inf", or "(1700000000.5" to leave out expired ExpiringSet members).
-- ARGV[3], ARGV[4]: the cursor's score and member, or absent for the first
-- page. The cursor is the last pair returned; it may have left the set since.
-- Returns a flat {member, score, ...} list.
local page_size = tonumber(ARGV[1])
if ARGV[3] == nil then
  return redis.call('ZRANGE', KEYS[1], ARGV[2], '+inf', 'BYSCORE',
                    'LIMIT', 0, page_size, 'WITHSCORES')
end

local score, member = ARGV[3], ARGV[4]

-- Byte order, as Redis orders members with equal scores. Lua's own string
-- comparison follows the server's locale, so it cannot be used.
local function bytes_less(a, b)
  local length = math.min(#a, #b)
  for i = 1, length do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then
      return x < y
    end
  end
  return #a < #b
end

local start
local current = redis.call('ZSCORE', KEYS[1], member)
if current and tonumber(current) == tonumber(score) then
  start = redis.call('ZRANK', KEYS[1], member) + 1
else
  -- The cursor left the set: find the first member tied with its score that
  -- sorts after it, by binary search over the ranks of that tie.
  local low = redis.call('ZCOUNT', KEYS[1], '-inf', '(' .. score)
  local high = low + redis.call('ZCOUNT', KEYS[1], score, score)
  while low < high do
    local middle = math.floor((low + high) / 2)
    local candidate = redis.call('ZRANGE', KEYS[1], middle, middle)[1]
    if bytes_less(member, candidate) then
      high = middle
    else
      low = middle + 1
    end
  end
  start = low
end
return redis.call('ZRANGE', KEYS[1], start, start + page_size - 1, 'WITHSCORES')
