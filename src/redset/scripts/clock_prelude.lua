-- Shared head of the scripts that read the time; redset prepends it.
-- ARGV[1]: now in Unix seconds, or "" to read the server clock.
local now = tonumber(ARGV[1])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) + tonumber(time[2]) / 1000000
end

-- Numbers pass through ZADD as text; 17 digits keep every bit of a double.
local function exact(number)
  return string.format('%.17g', number)
end

