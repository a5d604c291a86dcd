require "test_helper"
require "socket"

# The proxy against a real HTTP server standing in for the engine (FakeEngine, puma on a free
# port), a closed port (502) and a slow server (504).
class EngineProxyTest < ActionDispatch::IntegrationTest
  TOKEN = "engine-secret-token-for-tests"

  setup do
    @engine = FakeEngine.new do |req|
      case req.path
      when "/api/v1/bots/demo/emergency-stop", "/api/v1/backtests"
        [202, { "Content-Type" => "application/json" }, [{ accepted: true, path: req.path }.to_json]]
      when "/api/v1/backtests/missing"
        [404, { "Content-Type" => "application/json" }, ['{"detail":"no backtest missing"}']]
      when "/api/v1/bots/broken/stop", "/api/v1/positions"
        [500, { "Content-Type" => "text/plain" }, ["Traceback: boom"]]
      when "/api/v1/bots/refused/start"
        [409, { "Content-Type" => "application/json" }, ['{"detail":"bot is halted"}']]
      when "/api/v1/orders"
        [401, { "Content-Type" => "application/json" }, ['{"detail":"bad token"}']]
      else
        [200, { "Content-Type" => "application/json" },
         [{ path: req.path, query: req.query_string }.to_json]]
      end
    end.start
    with_env("ENGINE_URL" => @engine.url, "ENGINE_API_TOKEN" => TOKEN, "ENGINE_TIMEOUT_S" => "2")
  end

  teardown { @engine.stop }

  test "401 for every proxied path when not logged in, and nothing reaches the engine" do
    get "/api/v1/market/candles?symbol=BTCUSDT&interval=1m"
    assert_response :unauthorized
    post "/api/v1/bots/demo/stop", params: {}, as: :json
    assert_response :unauthorized
    assert_empty @engine.received
  end

  test "reads are forwarded with the query and the bearer token, which the browser never sees" do
    log_in users(:viewer)
    get "/api/v1/market/candles?symbol=BTCUSDT&interval=1m&limit=5"
    assert_response :ok
    assert_equal({ "path" => "/api/v1/market/candles", "query" => "symbol=BTCUSDT&interval=1m&limit=5" }, json)
    seen = @engine.only_request
    assert_equal ["GET", "Bearer #{TOKEN}", "viewer@test.example"], [seen.method, seen.authorization, seen.actor]
    refute_includes response.body, TOKEN
    refute_includes response.headers.to_h.to_s, TOKEN
  end

  test "every read on the allowlist reaches the engine" do
    log_in users(:viewer)
    paths = %w[market/candles signals/BTCUSDT strategies bots bots/demo positions orders trades account pnl
               backtests/b-1 backtests/b-1/report backtests/b-1/trades models models/m.v1 sentiment/BTC]
    paths -= %w[positions orders] # answered with 500/401 by this fake engine, tested below
    paths.each do |path|
      get "/api/v1/#{path}"
      assert_response :ok, path
      assert_equal "/api/v1/#{path}", json["path"]
    end
  end

  test "paths off the allowlist answer 404 and are not forwarded" do
    log_in users(:operator)
    get "/api/v1/admin/secrets"
    assert_response :not_found
    get "/api/v1/bots/../health"
    assert_response :not_found
    post "/api/v1/signals/batch", params: {}, as: :json
    assert_response :not_found
    post "/api/v1/bots/demo/explode", params: {}, as: :json
    assert_response :not_found
    assert_empty @engine.received
  end

  test "an operator's control request is forwarded with its body and audited as accepted" do
    log_in users(:operator)
    assert_difference -> { ControlAudit.count }, 1 do
      post "/api/v1/bots/demo/emergency-stop", params: { reason: "drill" }, as: :json
    end
    assert_response :accepted
    assert_equal true, json["accepted"]
    seen = @engine.only_request
    assert_equal ["POST", "/api/v1/bots/demo/emergency-stop", "Bearer #{TOKEN}"], [seen.method, seen.path, seen.authorization]
    assert_equal({ "reason" => "drill" }, JSON.parse(seen.body))
    audit = ControlAudit.last
    assert_equal [users(:operator).id, "bots.emergency-stop", "demo", { "reason" => "drill" }, "accepted", 202],
                 [audit.user_id, audit.action, audit.target, audit.params, audit.result, audit.http_status]
  end

  test "a viewer's control request is 403, audited as forbidden and not forwarded" do
    log_in users(:viewer)
    %w[bots/demo/start bots/demo/stop bots/demo/pause bots/demo/resume bots/demo/emergency-stop
       backtests models/train].each do |path|
      post "/api/v1/#{path}", params: { reason: "try" }, as: :json
      assert_response :forbidden, path
      assert_match(/operators only/, json["error"])
    end
    assert_empty @engine.received
    assert_equal 7, ControlAudit.where(result: "forbidden", user_email: "viewer@test.example").count
    assert_equal %w[backtests.create bots.emergency-stop bots.pause bots.resume bots.start bots.stop models.train],
                 ControlAudit.pluck(:action).sort
  end

  test "backtest submissions are forwarded and audited with their parameters" do
    log_in users(:operator)
    spec = { "strategy" => "ema_cross", "symbol" => "BTCUSDT", "params" => { "fast" => 12 } }
    post "/api/v1/backtests", params: spec, as: :json
    assert_response :accepted
    assert_equal spec, JSON.parse(@engine.only_request.body)
    assert_equal ["backtests.create", "", spec], ControlAudit.last.slice(:action, :target, :params).values
  end

  test "a control body that is not a JSON object is 400" do
    log_in users(:operator)
    post "/api/v1/bots/demo/stop", params: "[1,2]", headers: { "Content-Type" => "application/json" }
    assert_response :bad_request
    post "/api/v1/bots/demo/stop", params: "{nope", headers: { "Content-Type" => "application/json" }
    assert_response :bad_request
    assert_empty @engine.received
  end

  test "engine 4xx pass through with their body; a control 4xx is audited as rejected" do
    log_in users(:operator)
    get "/api/v1/backtests/missing"
    assert_response :not_found
    assert_equal({ "detail" => "no backtest missing" }, json)
    post "/api/v1/bots/refused/start", params: {}, as: :json
    assert_response :conflict
    assert_equal "bot is halted", json["detail"]
    assert_equal ["rejected", 409], [ControlAudit.last.result, ControlAudit.last.http_status]
  end

  test "engine 5xx is 502 without the engine's body; a control 5xx is audited as engine_error" do
    log_in users(:operator)
    get "/api/v1/positions"
    assert_response :bad_gateway
    assert_equal "the engine failed: HTTP 500", json["error"]
    refute_includes response.body, "Traceback"
    post "/api/v1/bots/broken/stop", params: {}, as: :json
    assert_response :bad_gateway
    assert_equal ["engine_error", 502], [ControlAudit.last.result, ControlAudit.last.http_status]
  end

  test "an engine 401 (Rails' token is wrong) is 502, not a logout for the browser" do
    log_in users(:viewer)
    get "/api/v1/orders"
    assert_response :bad_gateway
    assert_match(/ENGINE_API_TOKEN/, json["error"])
  end

  test "engine unreachable (closed port): 502 {error}, control audited as engine_error" do
    with_env("ENGINE_URL" => "http://127.0.0.1:#{closed_port}")
    log_in users(:operator)
    get "/api/v1/bots"
    assert_response :bad_gateway
    assert_match(/unreachable/, json["error"])
    post "/api/v1/bots/demo/pause", params: {}, as: :json
    assert_response :bad_gateway
    assert_equal "engine_error", ControlAudit.last.result
  end

  test "engine slower than ENGINE_TIMEOUT_S: 504 {error} within the timeout, audited as timeout" do
    slow = FakeEngine.new do |_req|
      sleep 0.8
      [200, { "Content-Type" => "application/json" }, ["{}"]]
    end.start
    with_env("ENGINE_URL" => slow.url, "ENGINE_TIMEOUT_S" => "0.25")
    log_in users(:operator)
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    get "/api/v1/account"
    elapsed = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
    assert_response :gateway_timeout
    assert_match(/within 0.25 s/, json["error"])
    assert_operator elapsed, :<, 0.75
    post "/api/v1/models/train", params: { "symbol" => "BTCUSDT" }, as: :json
    assert_response :gateway_timeout
    assert_equal ["models.train", "timeout", 504], [ControlAudit.last.action, ControlAudit.last.result, ControlAudit.last.http_status]
  ensure
    slow&.stop
  end

  private

  def closed_port
    server = TCPServer.new("127.0.0.1", 0)
    port = server.addr[1]
    server.close
    port
  end
end
