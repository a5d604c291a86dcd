require "test_helper"

# The relay against a real Redis stream; broadcasts go to ActionCable's test adapter.
class EventRelayTest < ActiveSupport::TestCase
  include RedisHelper
  include ActionCable::TestHelper

  def xadd(type, data, bot_id: "", symbol: "", ts: "2026-11-22T03:00:00.000Z")
    test_redis.xadd(EventRelay::STREAM, { type: type, bot_id: bot_id, symbol: symbol, ts: ts,
                                          data: data.is_a?(String) ? data : data.to_json })
  end

  def relay(**options)
    test_redis
    EventRelay.new(redis: new_redis, block_ms: 50, logger: Logger.new(nil), **options)
  end

  def messages(stream)
    broadcasts(stream).map { |raw| JSON.parse(raw) }
  end

  test "a bar XADDed to the stream reaches its symbol's channel as {id, type, bot_id, symbol, ts, data}" do
    r = relay(start: :earliest)
    id = xadd("bar", { interval: "1m", open_time: 1_763_780_400_000, close: "97000.5" }, symbol: "BTCUSDT")
    assert_equal 1, r.step
    assert_equal [{ "id" => id, "type" => "bar", "bot_id" => "", "symbol" => "BTCUSDT",
                    "ts" => "2026-11-22T03:00:00.000Z",
                    "data" => { "interval" => "1m", "open_time" => 1_763_780_400_000, "close" => "97000.5" } }],
                 messages("market:BTCUSDT")
    assert_empty broadcasts("market:ETHUSDT")
    assert_empty broadcasts("account")
    assert_equal id, test_redis.get(EventRelay::LAST_ID_KEY)
  end

  test "each event type reaches the channels of the contract" do
    r = relay(start: :earliest)
    xadd("signal", { action: "BUY" }, symbol: "ETHUSDT")
    xadd("book", { bids: [["1", "2"]], asks: [] }, symbol: "ETHUSDT")
    xadd("order", { side: "BUY" }, bot_id: "demo", symbol: "ETHUSDT")
    xadd("fill", { price: "1" }, bot_id: "demo", symbol: "ETHUSDT")
    xadd("position", { side: "LONG" }, bot_id: "demo", symbol: "ETHUSDT")
    xadd("equity", { equity: "1000" }, bot_id: "demo")
    xadd("bot", { state: "halted" }, bot_id: "demo")
    xadd("risk", { approved: false }, bot_id: "demo")
    xadd("reconciliation", { ok: true }, bot_id: "demo")
    xadd("risk", { approved: false, check: "global" })
    xadd("health", { component: "venue", status: "ok" })
    xadd("venue_error", { code: -1003 })
    xadd("something_new", {})
    assert_equal 13, r.step
    assert_equal %w[signal book], messages("market:ETHUSDT").map { |m| m["type"] }
    assert_equal %w[order fill position equity], messages("account").map { |m| m["type"] }
    assert_equal %w[order fill bot risk reconciliation], messages("bot:demo").map { |m| m["type"] }
    assert_equal %w[risk health venue_error], messages("system").map { |m| m["type"] }
  end

  test "a restarted relay resumes after the last id it relayed, without duplicates" do
    first = relay(start: :earliest)
    ids = 3.times.map { |i| xadd("health", { n: i }) }
    assert_equal 3, first.step
    assert_equal 0, first.step # nothing new: the block times out

    ids += 2.times.map { |i| xadd("health", { n: 3 + i }) }
    second = relay(start: :earliest) # a new process: only Redis remembers where we were
    assert_equal ids[2], second.cursor
    assert_equal 2, second.step
    relayed = messages("system").map { |m| m["id"] }
    assert_equal ids, relayed
    assert_equal relayed.uniq, relayed
  end

  test "first start from the newest entry (default) skips history; earliest replays it" do
    old = xadd("health", { n: 0 })
    latest = relay
    assert_equal old, latest.cursor
    assert_equal 0, latest.step
    fresh = xadd("health", { n: 1 })
    assert_equal 1, latest.step
    assert_equal [fresh], messages("system").map { |m| m["id"] }

    test_redis.del(EventRelay::LAST_ID_KEY)
    assert_equal 2, relay(start: :earliest).step
  end

  test "an unreadable entry is skipped and the relay goes on" do
    r = relay(start: :earliest)
    bad = xadd("health", "{not json")
    test_redis.xadd(EventRelay::STREAM, { type: "health" }) # fields missing
    xadd("health", [1, 2])                                   # data not an object
    good = xadd("health", { status: "ok" })
    assert_equal 4, r.step
    assert_equal [good], messages("system").map { |m| m["id"] }
    assert_equal good, test_redis.get(EventRelay::LAST_ID_KEY)
    refute_equal bad, good
  end

  test "run relays while blocking, writes a heartbeat, and stops when asked" do
    r = relay(start: :earliest)
    stop = false
    thread = Thread.new { r.run(stop: -> { stop }) }
    sleep 0.1
    xadd("venue_error", { code: 429 })
    deadline = Time.now + 5
    sleep 0.02 until broadcasts("system").any? || Time.now > deadline
    assert_equal ["venue_error"], messages("system").map { |m| m["type"] }
    assert_equal "ok", EventRelay.status(test_redis)[:status]
    stop = true
    assert thread.join(2), "the relay did not stop within 2 s"
  end

  test "a Redis outage does not end the loop; status reports Redis down" do
    server = TCPServer.new("127.0.0.1", 0)
    port = server.addr[1]
    server.close
    dead = Redis.new(url: "redis://127.0.0.1:#{port}/0", connect_timeout: 0.2, reconnect_attempts: 0)
    r = EventRelay.new(redis: dead, block_ms: 50, logger: Logger.new(log = StringIO.new))
    stop = false
    thread = Thread.new { r.run(stop: -> { stop }) }
    sleep 0.5
    assert thread.alive?
    stop = true
    assert thread.join(6)
    assert_match(/retrying in/, log.string)
    assert_equal "down", EventRelay.status(dead)[:status]
  end
end
