-- After prelude. ARGV: prefix, node, key, owner. Returns 1 when the owner holds the nickname now.
local node, key, owner = ARGV[2], ARGV[3], ARGV[4]
local me = node .. ' ' .. owner
local holder = redis.call('HGET', p .. 'nicks', key)
if holder and holder ~= me then
  local other = string.match(holder, '^(%S+)')
  if alive(other, now_ms()) then return 0 end
  redis.call('HDEL', p .. 'node:' .. other .. ':nicks', key)
end
redis.call('HSET', p .. 'nicks', key, me)
redis.call('HSET', p .. 'node:' .. node .. ':nicks', key, owner)
return 1
