-- ARGV: prefix, node, key, owner. Frees the nickname if the owner still holds it.
local p, node, key, owner = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if redis.call('HGET', p .. 'nicks', key) == node .. ' ' .. owner then
  redis.call('HDEL', p .. 'nicks', key)
end
if redis.call('HGET', p .. 'node:' .. node .. ':nicks', key) == owner then
  redis.call('HDEL', p .. 'node:' .. node .. ':nicks', key)
end
