require "test_helper"

class ApplicationCable::ConnectionTest < ActionCable::Connection::TestCase
  test "connects as the user of the session cookie" do
    cookies.encrypted["_tradingbot_session"] = { "user_id" => users(:viewer).id }
    connect
    assert_equal users(:viewer), connection.current_user
  end

  test "rejects a connection without a session" do
    assert_reject_connection { connect }
  end

  test "rejects a session whose user no longer exists" do
    cookies.encrypted["_tradingbot_session"] = { "user_id" => -1 }
    assert_reject_connection { connect }
  end

  test "rejects a cookie that is only signed, not encrypted with our key" do
    cookies.signed["_tradingbot_session"] = { "user_id" => users(:viewer).id }
    assert_reject_connection { connect }
  end
end
