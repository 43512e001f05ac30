"""The Lua scripts that decide placement inside Redis, one atomic step each.

Every web process places members and every worker renews its leases at the same time;
a decision read in one round trip and written in another would let two processes fill
the same worker past its headroom. A script runs alone in Redis, so "choose the least
loaded worker and book the member there" is one step whoever calls it.

Keys (``P`` is the prefix):
  P:load           sorted set: worker id -> booked / capacity (placement's order)
  P:w:<id>         hash {capacity, booked, channel}; its time to live is the worker's
                   heartbeat lease: no key, no worker
  P:wr:<id>        set of the rooms that have members on worker <id>
  P:room:<room>    hash: <id> -> units the room books on <id>, n:<id> -> its members
                   there; its time to live is the room's lease, renewed by its workers
  P:webs           set of the web processes that booked members (their ledgers)
  P:web:<pid>      hash: "<room>\n<worker id>\n<units>" -> members web process <pid>
                   booked so, not given back yet
  P:web-alive:<pid> the web process's lease: no key, the process is gone (SWEEP_WEBS)

The scripts name keys they build from the prefix, which a Redis Cluster would refuse:
placement runs on one Redis (or a primary with replicas), like the channel layer's.
"""

from __future__ import annotations

# ARGV: prefix, worker id, capacity, channel, worker ttl ms, room lease ms.
# Returns 1 when the worker was (re)registered: a worker that had been registered and
# hears 1 was declared dead in between (its rooms were moved) and must drop them.
HEARTBEAT = """
local p, id = ARGV[1], ARGV[2]
local capacity, channel = tonumber(ARGV[3]), ARGV[4]
local ttl_ms, lease_ms = tonumber(ARGV[5]), tonumber(ARGV[6])
local wk = p .. ':w:' .. id
local new = redis.call('EXISTS', wk) == 0
if new then
  redis.call('DEL', p .. ':wr:' .. id)
  redis.call('HSET', wk, 'booked', 0)
end
redis.call('HSET', wk, 'capacity', capacity, 'channel', channel)
redis.call('PEXPIRE', wk, ttl_ms)
local booked = tonumber(redis.call('HGET', wk, 'booked'))
redis.call('ZADD', p .. ':load', booked / capacity, id)
for _, room in ipairs(redis.call('SMEMBERS', p .. ':wr:' .. id)) do
  redis.call('PEXPIRE', p .. ':room:' .. room, lease_ms)
end
if new then return 1 end
return 0
"""

# ARGV: prefix, room, units, pipe units, admit ratio, room lease ms, how many of the
# least loaded workers to try, span ("0": a room that runs somewhere stays there).
# Returns {worker id, channel, units booked} or false when no live worker has room.
PLACE = """
local p, room = ARGV[1], ARGV[2]
local units, pipe = tonumber(ARGV[3]), tonumber(ARGV[4])
local admit, lease_ms, scan = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local span = ARGV[8] ~= '0'
local room_key = p .. ':room:' .. room

-- The share of its capacity a live worker would carry with `extra` more, or nil when it
-- is gone or would pass the admission ratio.
local function share_with(id, extra)
  local w = redis.call('HMGET', p .. ':w:' .. id, 'capacity', 'booked')
  if not w[1] then return nil end
  local share = (tonumber(w[2] or 0) + extra) / tonumber(w[1])
  if share <= admit then return share end
  return nil
end

local function book(id, extra)
  local wk = p .. ':w:' .. id
  local booked = redis.call('HINCRBY', wk, 'booked', extra)
  local w = redis.call('HMGET', wk, 'capacity', 'channel')
  redis.call('ZADD', p .. ':load', booked / tonumber(w[1]), id)
  redis.call('HINCRBY', room_key, id, extra)
  redis.call('HINCRBY', room_key, 'n:' .. id, 1)
  redis.call('PEXPIRE', room_key, lease_ms)
  redis.call('SADD', p .. ':wr:' .. id, room)
  return {id, w[2], extra}
end

-- The room's own live workers first (no new pipe), the least loaded of them.
local hosts = {}
local best, best_share = nil, nil
local fields = redis.call('HKEYS', room_key)
for _, field in ipairs(fields) do
  if string.sub(field, 1, 2) ~= 'n:' and redis.call('EXISTS', p .. ':w:' .. field) == 1 then
    hosts[field] = true
    local share = share_with(field, units)
    if share and (best_share == nil or share < best_share) then
      best, best_share = field, share
    end
  end
end
if best then return book(best, units) end

-- A room whose workers cannot share it with another worker yet stays on the least loaded
-- of them, past the admission ratio if it must: a member elsewhere would meet nobody.
if not span and next(hosts) ~= nil then
  local stay, stay_share = nil, nil
  for id in pairs(hosts) do
    local w = redis.call('HMGET', p .. ':w:' .. id, 'capacity', 'booked')
    local share = (tonumber(w[2] or 0) + units) / tonumber(w[1])
    if stay_share == nil or share < stay_share then stay, stay_share = id, share end
  end
  return book(stay, units)
end

-- Then the least loaded live worker, which takes the room's published streams too
-- when the room already runs elsewhere.
local extra = units
if next(hosts) ~= nil then extra = units + pipe end
for _, id in ipairs(redis.call('ZRANGE', p .. ':load', 0, scan - 1)) do
  if not hosts[id] and share_with(id, extra) then return book(id, extra) end
end
return false
"""

# Lua: ``count`` members of ``room`` leave worker ``id``, ``units`` given back in all; the
# last member of the room on that worker gives back the rest (the pipe) too. Returns
# what went back. Shared by LEAVE (one member) and SWEEP_WEBS (a dead process's).
_GIVE_BACK = """
local function give_back(p, room, id, count, units)
  local room_key = p .. ':room:' .. room
  local members = redis.call('HINCRBY', room_key, 'n:' .. id, -count)
  local booked_here = tonumber(redis.call('HGET', room_key, id) or 0)
  local given = units
  if members <= 0 then
    given = booked_here
    redis.call('HDEL', room_key, id, 'n:' .. id)
    redis.call('SREM', p .. ':wr:' .. id, room)
  else
    if given > booked_here then given = booked_here end
    redis.call('HINCRBY', room_key, id, -given)
  end
  local wk = p .. ':w:' .. id
  if redis.call('EXISTS', wk) == 1 then
    local booked = redis.call('HINCRBY', wk, 'booked', -given)
    if booked < 0 then
      redis.call('HSET', wk, 'booked', 0)
      booked = 0
    end
    redis.call('ZADD', p .. ':load', booked / tonumber(redis.call('HGET', wk, 'capacity')), id)
  end
  return given
end
"""

# ARGV: prefix, room, worker id, units. The member's units go back to its worker; the
# last member of the room on that worker gives back the rest (the pipe) too.
LEAVE = (
    _GIVE_BACK
    + """
return give_back(ARGV[1], ARGV[2], ARGV[3], 1, tonumber(ARGV[4]))
"""
)

# ARGV: prefix. Forgets every worker whose heartbeat lease ran out and returns
# {id, room, id, room, ...}: the rooms that had members on it. One caller gets each
# pair, however many processes reap at once.
REAP = """
local p = ARGV[1]
local out = {}
for _, id in ipairs(redis.call('ZRANGE', p .. ':load', 0, -1)) do
  if redis.call('EXISTS', p .. ':w:' .. id) == 0 then
    for _, room in ipairs(redis.call('SMEMBERS', p .. ':wr:' .. id)) do
      redis.call('HDEL', p .. ':room:' .. room, id, 'n:' .. id)
      table.insert(out, id)
      table.insert(out, room)
    end
    redis.call('DEL', p .. ':wr:' .. id)
    redis.call('ZREM', p .. ':load', id)
  end
end
return out
"""

# KEYS: none. ARGV: ledger key, field, change. A web process's ledger of what its sockets
# booked, one step so that a field that comes back to zero is removed, never a live count.
NOTE = """
if redis.call('HINCRBY', ARGV[1], ARGV[2], tonumber(ARGV[3])) <= 0 then
  redis.call('HDEL', ARGV[1], ARGV[2])
end
return 0
"""

# ARGV: prefix. Gives back what web processes whose lease ran out had booked (their
# sockets never said goodbye: SIGKILL, a lost machine), as LEAVE does member by member,
# and forgets their ledgers. Returns the units given back. One caller sweeps each process.
SWEEP_WEBS = (
    _GIVE_BACK
    + """
local p = ARGV[1]
local returned = 0
for _, pid in ipairs(redis.call('SMEMBERS', p .. ':webs')) do
  if redis.call('EXISTS', p .. ':web-alive:' .. pid) == 0 then
    local ledger = redis.call('HGETALL', p .. ':web:' .. pid)
    for i = 1, #ledger, 2 do
      local count = tonumber(ledger[i + 1])
      local room, id, units = string.match(ledger[i], '^(.*)\\n(.*)\\n(%d+)$')
      if count > 0 and room then
        returned = returned + give_back(p, room, id, count, tonumber(units) * count)
      end
    end
    redis.call('DEL', p .. ':web:' .. pid)
    redis.call('SREM', p .. ':webs', pid)
  end
end
return returned
"""
)
