# Base of every JSON controller: the session user, 401 for anonymous requests, and the CSRF
# rules for a cookie-authenticated API:
# - a state-changing request (POST/PUT/PATCH/DELETE) that carries an Origin header must come from
#   our own origin or DASHBOARD_ORIGIN (403 otherwise);
# - its body, when it has one, must be JSON (415 otherwise): an HTML form cannot send JSON, and a
#   cross-origin script sending JSON needs a CORS preflight, which only DASHBOARD_ORIGIN passes.
# The session cookie itself is HttpOnly and SameSite=Lax (config/application.rb).
class ApplicationController < ActionController::API
  include ActionController::Cookies

  UNSAFE_METHODS = %w[POST PUT PATCH DELETE].freeze

  before_action :check_request_forgery

  rescue_from ActionController::ParameterMissing do |error|
    render json: { error: error.message }, status: :bad_request
  end

  rescue_from ActionDispatch::Http::Parameters::ParseError do
    render json: { error: "the body is not valid JSON" }, status: :bad_request
  end

  private

  def current_user
    return @current_user if defined?(@current_user)

    @current_user = session[:user_id] && User.find_by(id: session[:user_id])
  end

  def require_login!
    render json: { error: "not logged in" }, status: :unauthorized unless current_user
  end

  def check_request_forgery
    return unless UNSAFE_METHODS.include?(request.request_method)

    origin = request.headers["Origin"]
    if origin.present? && !allowed_origin?(origin)
      return render json: { error: "origin #{origin} is not allowed" }, status: :forbidden
    end

    media = request.media_type.to_s
    return if media.empty? || media == "application/json"

    render json: { error: "send JSON (Content-Type: application/json), not #{media}" },
           status: :unsupported_media_type
  end

  def allowed_origin?(origin)
    origin == request.base_url || self.class.dashboard_origins.include?(origin)
  end

  def self.dashboard_origins
    ENV.fetch("DASHBOARD_ORIGIN", "").split(",").map(&:strip).reject(&:empty?)
  end
end
