-- After prelude. ARGV: prefix, node, first ("1" to forget the node's earlier claims), then key,
-- owner pairs. Returns the keys that another live node holds meanwhile.
local node, first = ARGV[2], ARGV[3]
if first == '1' then forget_nicks(node) end
local mine = p .. 'node:' .. node .. ':nicks'
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
