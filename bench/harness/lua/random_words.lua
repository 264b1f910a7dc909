-- wrk script for bench.search: every request searches for a word drawn at random from a
-- file of the catalog's words (one URL-encoded word a line, given after `--`), so the
-- answers are not one URL's over and over. The summary line comes from stats.lua.
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)")
dofile(here .. "stats.lua")

local words = {}

init = function(args)
  for line in io.lines(args[1]) do
    words[#words + 1] = line
  end
  -- Each thread its own sequence.
  math.randomseed(os.time() + tonumber(tostring(words):match("0x(%x+)"), 16) % 100000)
end

request = function()
  return wrk.format("GET", "/?q=" .. words[math.random(#words)])
end
