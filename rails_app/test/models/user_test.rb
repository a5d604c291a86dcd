require "test_helper"

class UserTest < ActiveSupport::TestCase
  test "valid user stores a lower-case email and a bcrypt digest" do
    user = User.create!(email: "  Alice@Example.COM ", password: "long-enough", role: "viewer")
    assert_equal "alice@example.com", user.email
    assert user.password_digest.start_with?("$2a$")
    refute_equal "long-enough", user.password_digest
  end

  test "role must be viewer or operator" do
    user = User.new(email: "x@example.com", password: "long-enough", role: "admin")
    refute user.valid?
    assert_includes user.errors[:role].join, "viewer, operator"
  end

  test "role is checked by the database as well" do
    assert_raises(ActiveRecord::StatementInvalid) do
      users(:viewer).update_column(:role, "root")
    end
  end

  test "email must look like one and be unique whatever its case" do
    refute User.new(email: "nope", password: "long-enough").valid?
    dup = User.new(email: "OPERATOR@test.example", password: "long-enough", role: "viewer")
    refute dup.valid?
    assert_includes dup.errors[:email], "has already been taken"
  end

  test "password needs 8 characters and a confirmation that matches when given" do
    refute User.new(email: "a@b.c", password: "short").valid?
    refute User.new(email: "a@b.c", password: "long-enough", password_confirmation: "other").valid?
  end

  test "authenticate answers the user only for the right password, email case-insensitive" do
    assert_equal users(:operator), User.authenticate("Operator@Test.Example", "secret-pass-1")
    assert_nil User.authenticate("operator@test.example", "wrong-password")
    assert_nil User.authenticate("nobody@test.example", "secret-pass-1")
    assert_nil User.authenticate(nil, nil)
  end

  test "as_json shows email and role only" do
    assert_equal({ "email" => "viewer@test.example", "role" => "viewer" }, users(:viewer).as_json)
  end

  test "seeds create the demo users idempotently from the environment" do
    with_env("DEMO_OPERATOR_EMAIL" => "ops@demo.example", "DEMO_OPERATOR_PASSWORD" => "ops-password",
             "DEMO_VIEWER_EMAIL" => nil, "DEMO_VIEWER_PASSWORD" => nil)
    out, = capture_io { 2.times { load Rails.root.join("db/seeds.rb") } }
    assert_includes out, "seeds: operator ops@demo.example"
    assert_equal "operator", User.authenticate("ops@demo.example", "ops-password").role
    assert_equal "viewer", User.authenticate("viewer@example.com", "viewer-demo").role
    assert_equal 1, User.where(email: "ops@demo.example").count
  end
end
