# CORS for the dashboard when it is served from another origin (the Vite dev server): the
# origins in DASHBOARD_ORIGIN (comma-separated, read per request) are allowed with credentials
# (the session cookie). The built dashboard served by puma is same-origin and needs none of this.
Rails.application.config.middleware.insert_before 0, Rack::Cors do
  allow do
    origins { |source, _env| ApplicationController.dashboard_origins.include?(source) }
    resource "/api/*", headers: :any, credentials: true, max_age: 600,
                       methods: %i[get post delete options head]
  end
end
