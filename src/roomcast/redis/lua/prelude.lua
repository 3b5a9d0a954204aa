-- Shared by the presence scripts that need them: the key prefix (ARGV[1]), Redis's clock in
-- Unix ms, and whether a node is alive (its deadline in the nodes sorted set lies ahead).
local p = ARGV[1]
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function alive(node, now)
  local deadline = redis.call('ZSCORE', p .. 'nodes', node)
  return deadline and tonumber(deadline) > now
end
