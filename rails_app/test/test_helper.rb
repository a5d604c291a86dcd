ENV["RAILS_ENV"] ||= "test"
require_relative "../config/environment"
require "rails/test_help"
require_relative "support/fake_engine"
require_relative "support/env_helper"
require_relative "support/redis_helper"

class ActiveSupport::TestCase
  # One process: the suite is small and the machines it runs on are shared.
  parallelize(workers: Integer(ENV.fetch("PARALLEL_WORKERS", "1")))

  fixtures :all
  include EnvHelper
end

class ActionDispatch::IntegrationTest
  def log_in(user, password = "secret-pass-1")
    post "/api/session", params: { email: user.email, password: password }, as: :json
    assert_response :ok
  end

  def json
    JSON.parse(response.body)
  end
end
