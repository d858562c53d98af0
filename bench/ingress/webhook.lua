-- wrk script: posts valid Avionté webhooks to /api/webhooks/avionte.
--
--   wrk -t2 -c64 -d10s --latency -s webhook.lua URL -- NONCE SECRET_FILE
--
-- NONCE     16 hex digits, unique per wrk invocation (run.sh builds it from
--           the time, a random part and the invocation's number).
-- SECRET_FILE  a file holding the shared secret sent in X-Payload-Signature
--           (webhook.auth = "shared-secret"); trailing newlines are dropped.
--
-- Every request carries a unique CorrelationId shaped like a GUID:
--   NNNNNNNN-NNNN-NNNN-TTTT-CCCCCCCCCCCC
-- (N: the nonce, T: the wrk thread, C: the thread's request counter), so no
-- two requests of any run share a dedup key. Pipeline ids cycle over a pool
-- of 10,000, tenants alternate between 6 and 7.
--
-- Each thread counts the answers that are not 200 and the bodies that are
-- not {"status":"accepted"}; done() prints them with the throughput and the
-- latency percentiles on one "BENCH ..." line that run.sh parses.

local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_id", thread_count)
  table.insert(threads, thread)
end

local pipeline_pool = 10000
local tenants = { 6, 7 }
local expected_body = '{"status":"accepted"}'
local path = "/api/webhooks/avionte"
local model = "Avionte.Commons.CompasEventModel.ResourceModel." ..
  "JobPipelineResourceModel, Avionte.Commons.CompasEventModel"

local nonce_prefix
local headers
local counter = 0

-- Globals read by done() through thread:get().
sent = 0
non_200 = 0
bad_body = 0
statuses = {}

local function read_secret(file)
  local f = assert(io.open(file, "rb"), "cannot read secret file " .. file)
  local text = f:read("*a")
  f:close()
  text = text:gsub("[\r\n]+$", "")
  assert(#text > 0, "secret file " .. file .. " is empty")
  return text
end

function init(args)
  local nonce = assert(args[1], "usage: -- NONCE SECRET_FILE")
  assert(#nonce == 16 and nonce:match("^%x+$"), "NONCE must be 16 hex digits")
  nonce_prefix = nonce:sub(1, 8) .. "-" .. nonce:sub(9, 12) .. "-" ..
    nonce:sub(13, 16) .. string.format("-%04x-", thread_id or 0)
  headers = {
    ["Content-Type"] = "application/json",
    ["X-Payload-Signature"] = read_secret(assert(args[2], "no SECRET_FILE")),
  }
end

function request()
  counter = counter + 1
  local correlation = nonce_prefix .. string.format("%012x", counter)
  -- Spread pipeline ids over the pool, differently per thread.
  local pipeline = ((counter * 7919 + (thread_id or 0) * 104729) % pipeline_pool) + 1
  local tenant = tenants[(counter % 2) + 1]
  -- Resource is a JSON document encoded as a string, as Avionté sends it.
  local resource = '{\\"PipelineId\\":' .. pipeline ..
    ',\\"CorrelationId\\":\\"' .. correlation .. '\\"}'
  local body = '{"EventName":"job_pipeline_talent_updated",' ..
    '"FrontOfficeTenantId":' .. tenant .. ',' ..
    '"Resource":"' .. resource .. '",' ..
    '"ResourceModelType":"' .. model .. '",' ..
    '"CorrelationId":"' .. correlation .. '"}'
  sent = sent + 1
  return wrk.format("POST", path, headers, body)
end

function response(status, _, body)
  if status ~= 200 then
    non_200 = non_200 + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
  if body ~= expected_body then
    bad_body = bad_body + 1
  end
end

function done(summary, latency, requests)
  local total_non_200, total_bad = 0, 0
  local by_status = {}
  for _, thread in ipairs(threads) do
    total_non_200 = total_non_200 + (thread:get("non_200") or 0)
    total_bad = total_bad + (thread:get("bad_body") or 0)
    for status, n in pairs(thread:get("statuses") or {}) do
      by_status[status] = (by_status[status] or 0) + n
    end
  end
  local status_text = {}
  for status, n in pairs(by_status) do
    table.insert(status_text, status .. "x" .. n)
  end
  if #status_text == 0 then status_text = { "none" } end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d seconds=%.3f rps=%.1f p50_us=%d p75_us=%d p90_us=%d " ..
    "p99_us=%d p999_us=%d max_us=%d non_200=%d bad_body=%d statuses=%s " ..
    "err_connect=%d err_read=%d err_write=%d err_timeout=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50), latency:percentile(75), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max,
    total_non_200, total_bad, table.concat(status_text, ","),
    e.connect, e.read, e.write, e.timeout))
  io.write(string.format(
    "webhook.lua: %d answers not 200 (%s), %d bodies not %s\n",
    total_non_200, table.concat(status_text, ","), total_bad, expected_body))
end
