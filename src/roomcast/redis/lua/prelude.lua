-- Shared by the presence scripts that need them: the key prefix (ARGV[1]), Redis's clock in
-- Unix ms, whether a node is alive (its deadline in the nodes sorted set lies ahead), and
-- forgetting a node's nicknames (those another node holds meanwhile stay).
local p = ARGV[1]
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function alive(node, now)
  local deadline = redis.call('ZSCORE', p .. 'nodes', node)
  return deadline and tonumber(deadline) > now
end
local function forget_nicks(node)
  local mine = p .. 'node:' .. node .. ':nicks'
  local held = redis.call('HGETALL', mine)
  for i = 1, #held, 2 do
    if redis.call('HGET', p .. 'nicks', held[i]) == node .. ' ' .. held[i + 1] then
      redis.call('HDEL', p .. 'nicks', held[i])
    end
  end
  redis.call('DEL', mine)
end
