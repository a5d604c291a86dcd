require "test_helper"

class CorsTest < ActionDispatch::IntegrationTest
  test "preflight from DASHBOARD_ORIGIN is allowed with credentials" do
    with_env("DASHBOARD_ORIGIN" => "http://127.0.0.1:5173,http://localhost:5173")
    process :options, "/api/v1/bots/demo/stop", headers: {
      "Origin" => "http://localhost:5173", "Access-Control-Request-Method" => "POST",
      "Access-Control-Request-Headers" => "content-type"
    }
    assert_equal "http://localhost:5173", response.headers["Access-Control-Allow-Origin"]
    assert_equal "true", response.headers["Access-Control-Allow-Credentials"]
    assert_match(/POST/, response.headers["Access-Control-Allow-Methods"])
  end

  test "another origin gets no CORS headers" do
    with_env("DASHBOARD_ORIGIN" => "http://127.0.0.1:5173")
    process :options, "/api/me", headers: {
      "Origin" => "http://evil.example", "Access-Control-Request-Method" => "GET"
    }
    assert_nil response.headers["Access-Control-Allow-Origin"]
  end
end
