# The browser's door to the engine API: /api/v1/<path> on Rails forwards to the same path on the
# engine (ENGINE_URL), with the engine's bearer token added here (it never reaches the browser).
#
# Order of checks: 401 when not logged in; 404 for a path not on the allowlist (EngineRoutes);
# for control requests 403 unless the user is an operator, 400 unless the body is empty or a
# JSON object. Then the engine's answer: 2xx and 4xx pass through with their body (except an
# engine 401/403, which means Rails' own token is wrong: 502); 5xx or unreachable -> 502 {error};
# timeout (ENGINE_TIMEOUT_S) -> 504 {error}. Every control request, refused ones included, is
# written to control_audits with the user, action, target, params, result and time.
class EngineProxyController < ApplicationController
  before_action :require_login!

  def forward
    path = params[:path].to_s
    route = EngineRoutes.match(request.request_method, path)
    return render json: { error: "not found: /api/v1/#{path}" }, status: :not_found unless route

    route.control? ? control(route, path) : read(path)
  end

  private

  def read(path)
    relay(engine_request("GET", path))
  end

  def control(route, path)
    payload = json_object_body
    if payload.nil?
      return render json: { error: "the body must be a JSON object" }, status: :bad_request
    end

    unless current_user.operator?
      audit(route, payload, "forbidden", 403, "role #{current_user.role} may not control")
      return render json: { error: "operators only: #{current_user.email} is a #{current_user.role}" },
                    status: :forbidden
    end

    body = request.raw_post.presence || "{}"
    outcome = engine_request("POST", path, body: body)
    audit(route, payload, *audit_result(outcome))
    relay(outcome)
  end

  # [status, body] of what the browser gets, as a Hash {status:, json:} or a passed-through body.
  def engine_request(method, path, body: nil)
    query = request.query_string.presence
    full = "/api/v1/#{path}#{query ? "?#{query}" : ''}"
    response = client.request(method, full, body: body,
                                            headers: { "X-Actor" => actor })
    if [401, 403].include?(response.status)
      { status: 502, error: "the engine refused Rails' credentials (check ENGINE_API_TOKEN)" }
    elsif response.status >= 500
      { status: 502, error: "the engine failed: HTTP #{response.status}" }
    else
      { status: response.status, response: response }
    end
  rescue EngineClient::Timeout => error
    { status: 504, error: error.message }
  rescue EngineClient::Unreachable => error
    { status: 502, error: error.message }
  end

  # The engine's audit_log actor: the user's email (the engine accepts at most 64 characters).
  def actor
    current_user.email[0, 64]
  end

  def relay(outcome)
    response = outcome[:response]
    return render json: { error: outcome[:error] }, status: outcome[:status] unless response

    send_data response.body, status: response.status, disposition: "inline",
                             type: response.content_type.presence || "application/json"
  end

  def audit_result(outcome)
    status = outcome[:status]
    result = if outcome[:response]
               status < 400 ? "accepted" : "rejected"
             else
               status == 504 ? "timeout" : "engine_error"
             end
    detail = outcome[:error] || outcome[:response].body.to_s.truncate(500)
    [result, status, detail]
  end

  def audit(route, payload, result, status, detail)
    ControlAudit.record!(user: current_user, action: route.action, target: route.target,
                         params: payload, result: result, http_status: status, detail: detail,
                         request_id: request.request_id)
  end

  # The request body as a Hash ({} when empty), or nil when it is not a JSON object.
  def json_object_body
    raw = request.raw_post.to_s
    return {} if raw.strip.empty?

    parsed = JSON.parse(raw)
    parsed.is_a?(Hash) ? parsed : nil
  rescue JSON::ParserError
    nil
  end

  def client
    @client ||= EngineClient.from_env
  end
end
