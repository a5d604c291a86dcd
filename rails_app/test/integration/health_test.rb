require "test_helper"

class HealthTest < ActionDispatch::IntegrationTest
  include RedisHelper

  setup do
    with_env("EVENTS_REDIS_URL" => test_redis_url)
    test_redis
    EventRelay.instance_variable_set(:@shared_redis, nil) # pick up this test's Redis URL
  end

  teardown { EventRelay.instance_variable_set(:@shared_redis, nil) }

  test "no login needed; engine ok with its latency, relay ok from its heartbeat" do
    engine = FakeEngine.new { [200, { "Content-Type" => "application/json" }, ['{"status":"ok"}']] }.start
    with_env("ENGINE_URL" => engine.url)
    test_redis.set(EventRelay::HEARTBEAT_KEY, (Time.now.to_f * 1000).round)
    get "/api/health"
    assert_response :ok
    assert_equal "ok", json["status"]
    assert_equal({ "status" => "ok", "database" => "ok" }, json["rails"])
    assert_equal "ok", json.dig("engine", "status")
    assert_kind_of Numeric, json.dig("engine", "latency_ms")
    assert_equal "ok", json.dig("relay", "status")
    assert_equal "/health", engine.only_request.path
  ensure
    engine&.stop
  end

  test "engine down and no relay heartbeat: degraded, each part says why" do
    server = TCPServer.new("127.0.0.1", 0)
    port = server.addr[1]
    server.close
    with_env("ENGINE_URL" => "http://127.0.0.1:#{port}")
    get "/api/health"
    assert_response :ok
    assert_equal "degraded", json["status"]
    assert_equal "down", json.dig("engine", "status")
    assert_equal "down", json.dig("relay", "status")
  end

  test "an engine that reports degraded, and a stale relay heartbeat" do
    engine = FakeEngine.new { [503, { "Content-Type" => "application/json" }, ['{"status":"degraded"}']] }.start
    with_env("ENGINE_URL" => engine.url)
    test_redis.set(EventRelay::HEARTBEAT_KEY, ((Time.now.to_f - 60) * 1000).round)
    get "/api/health"
    assert_equal "down", json.dig("engine", "status") # 5xx: down, whatever the body says
    assert_equal "stale", json.dig("relay", "status")
  ensure
    engine&.stop
  end
end
