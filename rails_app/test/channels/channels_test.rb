require "test_helper"

class MarketChannelTest < ActionCable::Channel::TestCase
  tests MarketChannel

  test "a logged-in user subscribes to one symbol's stream (upper-cased)" do
    stub_connection current_user: users(:viewer)
    subscribe symbol: "btcusdt"
    assert subscription.confirmed?
    assert_has_stream "market:BTCUSDT"
  end

  test "rejected without a user, or with a missing or malformed symbol" do
    stub_connection current_user: nil
    subscribe symbol: "BTCUSDT"
    assert subscription.rejected?

    stub_connection current_user: users(:viewer)
    subscribe
    assert subscription.rejected?
    subscribe symbol: "BTC/USDT*"
    assert subscription.rejected?
  end

  test "a broadcast on the symbol's stream reaches the subscriber" do
    stub_connection current_user: users(:viewer)
    subscribe symbol: "ETHUSDT"
    message = { "id" => "1-0", "type" => "bar", "symbol" => "ETHUSDT", "data" => {} }
    assert_broadcast_on("market:ETHUSDT", message) do
      ActionCable.server.broadcast("market:ETHUSDT", message)
    end
  end
end

class AccountChannelTest < ActionCable::Channel::TestCase
  test "viewer and operator subscribe; anonymous is rejected" do
    [users(:viewer), users(:operator)].each do |user|
      stub_connection current_user: user
      subscribe
      assert subscription.confirmed?
      assert_has_stream "account"
    end
    stub_connection current_user: nil
    subscribe
    assert subscription.rejected?
  end

  test "a user whose role is not known is rejected" do
    user = users(:viewer)
    user.role = "intruder" # not saved: the check runs on what the connection holds
    stub_connection current_user: user
    subscribe
    assert subscription.rejected?
  end
end

class BotChannelTest < ActionCable::Channel::TestCase
  test "subscribes to one bot's stream; bad or missing bot ids are rejected" do
    stub_connection current_user: users(:operator)
    subscribe bot_id: "demo-1"
    assert_has_stream "bot:demo-1"

    subscribe bot_id: ""
    assert subscription.rejected?
    subscribe bot_id: "a b"
    assert subscription.rejected?
  end
end

class SystemChannelTest < ActionCable::Channel::TestCase
  test "subscribes to the system stream when logged in only" do
    stub_connection current_user: users(:viewer)
    subscribe
    assert_has_stream "system"

    stub_connection current_user: nil
    subscribe
    assert subscription.rejected?
  end
end
