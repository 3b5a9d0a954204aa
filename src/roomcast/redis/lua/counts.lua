-- After prelude. ARGV: prefix. Returns room, count, room, count... over every live node.
local counts, order = {}, {}
for _, node in ipairs(redis.call('ZRANGEBYSCORE', p .. 'nodes', '(' .. now_ms(), '+inf')) do
  for _, room in ipairs(redis.call('SMEMBERS', p .. 'node:' .. node .. ':rooms')) do
    if not counts[room] then order[#order + 1] = room; counts[room] = 0 end
    counts[room] = counts[room] + redis.call('HLEN', p .. 'room:' .. room .. ':' .. node)
  end
end
local out = {}
for _, room in ipairs(order) do out[#out + 1] = room; out[#out + 1] = counts[room] end
return out
