require_relative "boot"

require "rails"
require "active_model/railtie"
require "active_job/railtie"
require "active_record/railtie"
require "action_controller/railtie"
require "action_view/railtie"
require "action_cable/engine"
require "rails/test_unit/railtie"

Bundler.require(*Rails.groups)

module RailsApp
  # The dashboard's API: sessions (cookie), the engine proxy, the control audit, ActionCable.
  class Application < Rails::Application
    config.load_defaults 6.1
    config.api_only = true
    config.time_zone = "UTC"

    # Rails shares the engine's database (its own tables only): a schema dump would also list
    # the engine's tables, so none is written; bin/ci-test and the stack run the migrations.
    config.active_record.dump_schema_after_migration = false

    # API mode has no cookies or session: the dashboard logs in with an HttpOnly, SameSite=Lax,
    # encrypted (hence signed) session cookie.
    config.session_store :cookie_store, key: "_tradingbot_session", same_site: :lax,
                                        httponly: true,
                                        secure: ENV["SESSION_COOKIE_SECURE"] == "1"
    config.middleware.use ActionDispatch::Cookies
    config.middleware.use config.session_store, config.session_options

    # The built dashboard, served by puma from DASHBOARD_DIST (see DashboardController).
    if ENV["DASHBOARD_DIST"].present?
      config.paths["public"] = ENV["DASHBOARD_DIST"]
      config.public_file_server.enabled = true
    end

    # ActionCable checks the Origin header (cross-site websocket hijacking): our own origin
    # (the built dashboard served by puma) and DASHBOARD_ORIGIN (comma-separated) only.
    config.action_cable.mount_path = "/cable"
    config.action_cable.allow_same_origin_as_host = true
    config.action_cable.allowed_request_origins =
      ENV.fetch("DASHBOARD_ORIGIN", "").split(",").map(&:strip).reject(&:empty?)
  end
end
