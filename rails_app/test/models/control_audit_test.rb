require "test_helper"

class ControlAuditTest < ActiveSupport::TestCase
  test "record! keeps who, what, target, params, result and time" do
    audit = ControlAudit.record!(user: users(:operator), action: "bots.stop", target: "demo",
                                 params: { "reason" => "test" }, result: "accepted", http_status: 202)
    audit.reload
    assert_equal ["operator@test.example", "operator", "bots.stop", "demo", "accepted", 202],
                 [audit.user_email, audit.user_role, audit.action, audit.target, audit.result, audit.http_status]
    assert_equal({ "reason" => "test" }, audit.params)
    assert_in_delta Time.current, audit.created_at, 5
  end

  test "unknown results are refused" do
    audit = ControlAudit.new(user_email: "a@b.c", user_role: "viewer", action: "bots.stop",
                             result: "maybe", http_status: 200)
    refute audit.valid?
    assert audit.errors[:result].any?
  end

  test "rows are append-only" do
    audit = ControlAudit.record!(user: users(:viewer), action: "bots.start", target: "x", params: {},
                                 result: "forbidden", http_status: 403)
    assert_raises(ActiveRecord::ReadOnlyRecord) { audit.update!(result: "accepted") }
  end

  test "deleting the user keeps the audit with its email" do
    audit = ControlAudit.record!(user: users(:viewer), action: "bots.start", target: "x", params: {},
                                 result: "forbidden", http_status: 403)
    ControlAudit.connection.execute("DELETE FROM users WHERE id = #{users(:viewer).id}")
    audit = ControlAudit.find(audit.id)
    assert_nil audit.user_id
    assert_equal "viewer@test.example", audit.user_email
  end
end
