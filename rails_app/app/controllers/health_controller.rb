# GET /api/health (no login, like the engine's /health): Rails (and its database), the engine
# (its own /health, with the round-trip latency in ms) and the event relay (its heartbeat in
# Redis). `status` is "ok" only when all three are.
class HealthController < ApplicationController
  def show
    rails = rails_status
    engine = engine_status
    relay = EventRelay.status(redis)
    ok = [rails, engine, relay].all? { |part| part[:status] == "ok" }
    render json: { status: ok ? "ok" : "degraded", time: Time.now.utc.iso8601(3),
                   rails: rails, engine: engine, relay: relay }
  end

  private

  def rails_status
    ActiveRecord::Base.connection.select_value("SELECT 1")
    { status: "ok", database: "ok" }
  rescue ActiveRecord::ActiveRecordError, PG::Error => error
    { status: "degraded", database: "down", detail: error.class.name }
  end

  def engine_status
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    response = EngineClient.from_env.request("GET", "/health")
    latency = ((Process.clock_gettime(Process::CLOCK_MONOTONIC) - started) * 1000).round(1)
    reported = begin
      JSON.parse(response.body)["status"]
    rescue JSON::ParserError, TypeError
      nil
    end
    status = if response.status == 200 && reported == "ok" then "ok"
             elsif response.status < 500 && reported then "degraded"
             else "down"
             end
    { status: status, latency_ms: latency, detail: reported || "HTTP #{response.status}" }
  rescue EngineClient::Error => error
    { status: "down", latency_ms: nil, detail: error.message }
  end

  def redis
    EventRelay.shared_redis
  end
end
