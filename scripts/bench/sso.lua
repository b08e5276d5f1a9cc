-- wrk script: each connection sends /auth/sso?jwt=<a token of its own>&response=json, so no token is
-- replayed. Tokens come from $TOKENS (one a line); thread i takes every n-th line from line i.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  local n = tonumber(os.getenv("WRK_THREADS") or "2")
  tokens = {}
  local i = 0
  for line in io.lines(os.getenv("TOKENS")) do
    if i % n == id then
      table.insert(tokens, line)
    end
    i = i + 1
  end
  next_token = 1
end

function request()
  local token = tokens[next_token]
  if token == nil then
    -- Out of fresh tokens: stop rather than send replays.
    wrk.thread:stop()
    token = tokens[1]
  end
  next_token = next_token + 1
  return wrk.format("GET", "/auth/sso?response=json&jwt=" .. token)
end

-- With $COOKIES set, each thread appends the session cookies it is given to $COOKIES.<thread>
-- (scripts/bench-sizing.sh reads them back to make the sessions live).
function response(status, headers, body)
  local file = os.getenv("COOKIES")
  if file == nil then
    return
  end
  local cookie = headers["set-cookie"] or headers["Set-Cookie"]
  if cookie ~= nil then
    local session = string.match(cookie, "lanyard%.SESSION=[^;]+")
    if session ~= nil then
      local out = io.open(file .. "." .. id, "a")
      out:write(session, "\n")
      out:close()
    end
  end
end
