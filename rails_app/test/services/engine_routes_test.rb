require "test_helper"

class EngineRoutesTest < ActiveSupport::TestCase
  test "reads on the allowlist, GET only" do
    assert EngineRoutes.match("GET", "backtests/abc-1/report")
    refute EngineRoutes.match("GET", "backtests/abc-1/other")
    refute EngineRoutes.match("DELETE", "bots")
    refute EngineRoutes.match("POST", "strategies")
  end

  test "control routes carry their audit action and target" do
    route = EngineRoutes.match("POST", "bots/demo.1/emergency-stop")
    assert route.control?
    assert_equal ["bots.emergency-stop", "demo.1"], [route.action, route.target]
    assert_equal "models.train", EngineRoutes.match("POST", "models/train").action
    refute EngineRoutes.match("GET", "bots/demo/stop")
  end

  test "dot segments and odd characters never match" do
    ["bots/..", "bots/.", "signals/..%2F", "bots/a b", "signals/#{'x' * 129}"].each do |path|
      refute EngineRoutes.match("GET", path), path
    end
  end
end
