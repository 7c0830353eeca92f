-- wrk script: POST /api/recommend (or the path in the environment variable WRK_PATH) with a
-- mix of seed sets read from the file named by the environment variable BODIES (one JSON body
-- per line). Requests are formatted once at start and cycled through, each thread from a
-- different offset, and responses are not handed to Lua (wrk counts non-2xx answers itself),
-- so that wrk spends as little of the machine's two cores as it does for a plain GET.
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("offset", counter * 7919)
end

function init(args)
  requests = {}
  for line in io.lines(os.getenv("BODIES")) do
    requests[#requests + 1] = wrk.format("POST", os.getenv("WRK_PATH") or "/api/recommend",
      { ["Content-Type"] = "application/json" }, line)
  end
  n = offset or 0
end

function request()
  n = n + 1
  return requests[(n % #requests) + 1]
end
