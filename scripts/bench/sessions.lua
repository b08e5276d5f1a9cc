-- wrk script: GET /api/user/current with each session cookie of $COOKIES in turn (one a line), so
-- every session is read — and cached — within each pass. Thread i starts at its own offset.
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  cookies = {}
  for line in io.lines(os.getenv("COOKIES")) do
    table.insert(cookies, line)
  end
  next_cookie = (id * 7919) % #cookies
end

function request()
  next_cookie = next_cookie % #cookies + 1
  return wrk.format("GET", "/api/user/current", { Cookie = cookies[next_cookie] })
end
