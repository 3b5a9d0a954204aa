-- After prelude. ARGV: prefix, node, first ("1" to forget the node's earlier claims), then key,
-- owner pairs. Returns the keys that another live node holds meanwhile.
local node, first = ARGV[2], ARGV[3]
local mine = p .. 'node:' .. node .. ':nicks'
if first == '1' then
  local held = redis.call('HGETALL', mine)
  for i = 1, #held, 2 do
    if redis.call('HGET', p .. 'nicks', held[i]) == node .. ' ' .. held[i + 1] then
      redis.call('HDEL', p .. 'nicks', held[i])
    end
  end
  redis.call('DEL', mine)
end
local now = now_ms()
local lost = {}
for i = 4, #ARGV, 2 do
  local key, me = ARGV[i], node .. ' ' .. ARGV[i + 1]
  local holder = redis.call('HGET', p .. 'nicks', key)
  if holder and holder ~= me and alive(string.match(holder, '^(%S+)'), now) then
    lost[#lost + 1] = key
  else
    redis.call('HSET', p .. 'nicks', key, me)
    redis.call('HSET', mine, key, ARGV[i + 1])
  end
end
return lost
