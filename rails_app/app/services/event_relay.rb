# The relay: the engine's Redis stream `tradingbot:events` -> ActionCable broadcasts (see
# EventRouting). Rails is the only ActionCable writer; this is its only source of events.
#
# Rules:
# - XREAD BLOCK from the id after the last entry relayed, kept in Redis `tradingbot:relay:last_id`
#   and advanced after each entry is broadcast, so a restarted relay resumes where it stopped
#   without duplicates (an entry broadcast in the instant before a crash, and not yet recorded,
#   is the only one that can repeat).
# - First start (no last id): from the stream's newest entry (start: :latest, the default) -- a
#   browser wants what happens now, not a replay of 100,000 old events -- or from the beginning
#   (start: :earliest, RELAY_START=earliest).
# - Each message is the engine event as JSON: {id, type, bot_id, symbol, ts, data}. An entry that
#   cannot be read (missing field, `data` not a JSON object) is logged and skipped, never fatal.
# - A Redis outage is logged and retried with backoff; the loop stops when `stop` says so.
# - Every pass writes a heartbeat (epoch ms) to `tradingbot:relay:heartbeat` for /api/health.
class EventRelay
  STREAM = "tradingbot:events".freeze
  LAST_ID_KEY = "tradingbot:relay:last_id".freeze
  HEARTBEAT_KEY = "tradingbot:relay:heartbeat".freeze
  STALE_AFTER_S = 5.0
  FIELDS = %w[type bot_id symbol ts data].freeze

  attr_reader :relayed

  def self.redis_from_env
    Redis.new(url: ENV["EVENTS_REDIS_URL"].presence || ENV.fetch("REDIS_URL", "redis://127.0.0.1:6379/0"),
              connect_timeout: 2, read_timeout: 2, write_timeout: 2, reconnect_attempts: 1)
  end

  # One client for request threads (/api/health); redis-rb clients are thread-safe.
  def self.shared_redis
    @shared_redis ||= redis_from_env
  end

  def self.from_env(logger: Rails.logger)
    new(redis: redis_from_env, logger: logger,
        start: ENV["RELAY_START"] == "earliest" ? :earliest : :latest)
  end

  # {status: ok|stale|down, last_id, heartbeat_age_s} as /api/health shows it.
  def self.status(redis)
    beat, last_id = redis.mget(HEARTBEAT_KEY, LAST_ID_KEY)
    return { status: "down", last_id: last_id, heartbeat_age_s: nil, detail: "no heartbeat" } unless beat

    age = ((Time.now.to_f * 1000 - beat.to_f) / 1000).round(2)
    { status: age <= STALE_AFTER_S ? "ok" : "stale", last_id: last_id, heartbeat_age_s: age }
  rescue Redis::BaseError => error
    { status: "down", last_id: nil, heartbeat_age_s: nil, detail: "redis: #{error.class.name}" }
  end

  def initialize(redis:, broadcaster: ActionCable.server, stream: STREAM, block_ms: 1000,
                 count: 200, start: :latest, logger: Rails.logger)
    @redis = redis
    @broadcaster = broadcaster
    @stream = stream
    @block_ms = block_ms
    @count = count
    @start = start
    @logger = logger
    @relayed = 0
  end

  # Relay until `stop.call` is true (checked at least every block_ms).
  def run(stop: -> { false })
    @logger.info("relay: #{@stream} -> ActionCable")
    backoff = 0.1
    until stop.call
      begin
        step
        backoff = 0.1
      rescue Redis::BaseError => error
        @logger.warn("relay: redis: #{error.class.name}: #{error.message}; retrying in #{backoff} s")
        sleep(backoff)
        backoff = [backoff * 2, 5.0].min
      end
    end
    @logger.info("relay: stopped after #{@relayed} events")
  end

  # One XREAD (blocking up to block_ms); returns how many entries were relayed.
  def step
    @redis.set(HEARTBEAT_KEY, (Time.now.to_f * 1000).round)
    found = @redis.xread(@stream, cursor, count: @count, block: @block_ms)
    entries = found.fetch(@stream, [])
    entries.each do |id, fields|
      relay(id, fields)
      @redis.set(LAST_ID_KEY, id)
      @cursor = id
    end
    entries.size
  end

  # The id after which the next read starts.
  def cursor
    @cursor ||= @redis.get(LAST_ID_KEY) || initial_cursor
  end

  private

  def initial_cursor
    return "0-0" if @start == :earliest

    newest = @redis.xrevrange(@stream, "+", "-", count: 1).first
    id = newest ? newest.first : "0-0"
    @redis.set(LAST_ID_KEY, id)
    id
  end

  def relay(id, fields)
    message = self.class.message(id, fields)
    streams = EventRouting.streams_for(message["type"], bot_id: message["bot_id"],
                                                        symbol: message["symbol"])
    streams.each { |stream| @broadcaster.broadcast(stream, message) }
    @relayed += 1
  rescue ArgumentError => error
    @logger.warn("relay: skipped #{@stream} entry #{id}: #{error.message}")
  end

  # The engine event as the browser gets it. Raises ArgumentError naming the bad field.
  def self.message(id, fields)
    missing = FIELDS.reject { |name| fields.key?(name) }
    raise ArgumentError, "missing field(s) #{missing.join(', ')}" if missing.any?

    data = begin
      JSON.parse(fields["data"])
    rescue JSON::ParserError => error
      raise ArgumentError, "field data is not JSON (#{error.message.truncate(80)})"
    end
    raise ArgumentError, "field data is not a JSON object" unless data.is_a?(Hash)

    { "id" => id, "type" => fields["type"], "bot_id" => fields["bot_id"],
      "symbol" => fields["symbol"], "ts" => fields["ts"], "data" => data }
  end
end
