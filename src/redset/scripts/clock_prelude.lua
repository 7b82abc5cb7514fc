-- Shared head of the scripts that read the time; redset prepends it.
-- ARGV[1]: now in Unix seconds, or "" to read the server clock.
local given_now = tonumber(ARGV[1])

-- Return now. The server clock is read on the first call only, and only
-- when ARGV[1] is "", because many calls of a lease script never need it.
local function clock()
  if not given_now then
    local time = redis.call('TIME')
    given_now = tonumber(time[1]) + tonumber(time[2]) / 1000000
  end
  return given_now
end

-- Numbers pass through ZADD as text; 17 digits keep every bit of a double.
local function exact(number)
  return string.format('%.17g', number)
end

