-- wrk script: POST /api/recommend with a mix of seed sets read from the file named by the
-- environment variable BODIES (one JSON body per line), each thread starting at a different
-- line and cycling through them.
local bodies = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("offset", counter * 7919)
end

function init(args)
  for line in io.lines(os.getenv("BODIES")) do
    bodies[#bodies + 1] = line
  end
  n = offset or 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  n = n + 1
  return wrk.format(nil, "/api/recommend", nil, bodies[(n % #bodies) + 1])
end

function response(status, headers, body)
  if status ~= 200 then
    io.stderr:write("status " .. status .. ": " .. body .. "\n")
  end
end
