# HTTP to the engine API (stdlib Net::HTTP). Configuration from the environment:
#   ENGINE_URL        base URL, e.g. http://127.0.0.1:8000 (required to proxy)
#   ENGINE_API_TOKEN  the engine's bearer token; added here, never sent to the browser
#   ENGINE_TIMEOUT_S  connect, write and read timeout in seconds (default 5)
# Failures are raised as EngineClient::Unreachable (-> 502) or EngineClient::Timeout (-> 504).
require "net/http"

class EngineClient
  class Error < StandardError; end
  class Unreachable < Error; end
  class Timeout < Error; end

  Response = Struct.new(:status, :body, :content_type, keyword_init: true)

  UNREACHABLE = [
    SystemCallError, SocketError, IOError, EOFError, OpenSSL::SSL::SSLError,
    Net::HTTPBadResponse, Net::ProtocolError
  ].freeze
  TIMEOUTS = [Net::OpenTimeout, Net::ReadTimeout, Net::WriteTimeout].freeze

  attr_reader :base_url, :timeout

  def self.from_env
    new(base_url: ENV["ENGINE_URL"], token: ENV["ENGINE_API_TOKEN"],
        timeout: Float(ENV.fetch("ENGINE_TIMEOUT_S", "5")))
  end

  def initialize(base_url:, token:, timeout: 5.0)
    @base_url = base_url.to_s.chomp("/")
    @token = token.to_s
    @timeout = timeout
  end

  # GET/POST `path` (absolute, e.g. "/api/v1/bots", with its query string) and return a Response.
  def request(method, path, body: nil, content_type: nil, headers: {})
    uri = endpoint(path)
    request = build(method, uri, body, content_type, headers)
    response = Net::HTTP.start(uri.host, uri.port, use_ssl: uri.scheme == "https",
                                                   open_timeout: @timeout, read_timeout: @timeout,
                                                   write_timeout: @timeout) do |http|
      http.request(request)
    end
    Response.new(status: response.code.to_i, body: response.body.to_s,
                 content_type: response["Content-Type"])
  rescue *TIMEOUTS => error
    raise Timeout, "the engine did not answer within #{@timeout} s (#{error.class.name})"
  rescue *UNREACHABLE => error
    raise Unreachable, "the engine is unreachable (#{error.class.name}: #{error.message})"
  end

  private

  def endpoint(path)
    raise Unreachable, "ENGINE_URL is not set" if @base_url.empty?

    URI.parse("#{@base_url}#{path}")
  rescue URI::InvalidURIError => error
    raise Unreachable, "bad engine URL (#{error.message})"
  end

  def build(method, uri, body, content_type, headers)
    klass = { "GET" => Net::HTTP::Get, "HEAD" => Net::HTTP::Head, "POST" => Net::HTTP::Post }
            .fetch(method) { raise ArgumentError, "unsupported method #{method}" }
    request = klass.new(uri)
    request["Accept"] = "application/json"
    request["Authorization"] = "Bearer #{@token}" unless @token.empty?
    headers.each { |name, value| request[name] = value }
    if body
      request.body = body
      request["Content-Type"] = content_type.presence || "application/json"
    end
    request
  end
end
