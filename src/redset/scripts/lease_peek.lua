-- Read the member at position ARGV[5] among those a pop would hand out,
-- without removing it.
-- ARGV[4]: "1" to look only at due members (ScheduledSet), else "".
-- Returns {member, score}, or {} when fewer members wait.
local busy = reclaim()
return next_in_line(ARGV[4] == '1', tonumber(ARGV[5]), 1, busy)
