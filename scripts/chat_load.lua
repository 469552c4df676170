-- wrk script for the chat endpoint: every request a new one-message conversation (so none is
-- answered from the record), asking what is free on a day: a guided turn with one slot search.
-- Run by scripts/chat_load.sh.
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format(
    '{"model":"receptionist","messages":[{"role":"user","content":"What times are available next Tuesday? (%d-%d)"}]}',
    math.random(1, 1000000000), counter)
  return wrk.format("POST", "/v1/chat/completions", {["Content-Type"] = "application/json"}, body)
end
