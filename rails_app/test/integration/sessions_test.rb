require "test_helper"

class SessionsTest < ActionDispatch::IntegrationTest
  test "log in sets an HttpOnly SameSite=Lax session cookie and answers the user" do
    post "/api/session", params: { email: "viewer@test.example", password: "secret-pass-1" }, as: :json
    assert_response :ok
    assert_equal({ "user" => { "email" => "viewer@test.example", "role" => "viewer" } }, json)
    cookie = Array(response.headers["Set-Cookie"]).join("\n")
    assert_match(/_tradingbot_session=/, cookie)
    assert_match(/httponly/i, cookie)
    assert_match(/samesite=lax/i, cookie)
    refute_includes cookie, "secret-pass-1"
  end

  test "wrong password or unknown email: 401 with the same message" do
    post "/api/session", params: { email: "viewer@test.example", password: "nope-nope" }, as: :json
    assert_response :unauthorized
    first = json
    post "/api/session", params: { email: "ghost@test.example", password: "secret-pass-1" }, as: :json
    assert_response :unauthorized
    assert_equal first, json
    assert_equal "invalid email or password", json["error"]
  end

  test "me: 401 before login, the user after, 401 again after logout" do
    get "/api/me"
    assert_response :unauthorized
    assert_equal "not logged in", json["error"]

    log_in users(:operator)
    get "/api/me"
    assert_response :ok
    assert_equal "operator", json.dig("user", "role")

    delete "/api/session", as: :json
    assert_response :ok
    get "/api/me"
    assert_response :unauthorized
  end

  test "a tampered session cookie is not a login" do
    cookies["_tradingbot_session"] = "forged--value"
    get "/api/me"
    assert_response :unauthorized
  end

  test "a form post (not JSON) is refused: CSRF through an HTML form cannot log in or out" do
    post "/api/session", params: { email: "viewer@test.example", password: "secret-pass-1" }
    assert_response :unsupported_media_type
  end

  test "a state-changing request from a foreign Origin is refused" do
    post "/api/session", params: { email: "viewer@test.example", password: "secret-pass-1" },
                         as: :json, headers: { "Origin" => "http://evil.example" }
    assert_response :forbidden
    assert_match(/evil.example/, json["error"])
  end

  test "the dashboard origin may post, and gets CORS headers with credentials" do
    # Rack::Cors is configured at boot from DASHBOARD_ORIGIN: test the forgery check, which
    # reads it per request, and the CORS preflight in cors_test.rb.
    with_env("DASHBOARD_ORIGIN" => "http://127.0.0.1:5173")
    post "/api/session", params: { email: "viewer@test.example", password: "secret-pass-1" },
                         as: :json, headers: { "Origin" => "http://127.0.0.1:5173" }
    assert_response :ok
  end

  test "unknown /api paths answer 404 JSON" do
    get "/api/nothing-here"
    assert_response :not_found
    assert_equal "not found", json["error"]
  end
end
