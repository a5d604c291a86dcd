require "puma"
require "puma/server"

# A small stand-in for the engine API, served by puma on a free loopback port for one test.
# It records every request (method, path, query, headers, body) and answers through `handler`
# (a block taking a Rack::Request, returning [status, headers, body]); the default answers
# 200 {"path": ...}. Used for the proxy's success paths, engine 4xx/5xx and the slow engine.
class FakeEngine
  Request = Struct.new(:method, :path, :query, :authorization, :actor, :content_type, :body,
                       keyword_init: true)

  attr_reader :requests

  def initialize(&handler)
    @handler = handler || ->(req) { [200, { "Content-Type" => "application/json" }, [{ path: req.path }.to_json]] }
    @requests = Queue.new
  end

  def start
    @server = Puma::Server.new(method(:call), Puma::Events.strings, min_threads: 0, max_threads: 4)
    @port = @server.add_tcp_listener("127.0.0.1", 0).addr[1]
    @server.run
    self
  end

  def url
    "http://127.0.0.1:#{@port}"
  end

  def stop
    @server&.stop(true)
  end

  def received
    list = []
    list << @requests.pop until @requests.empty?
    list
  end

  # The one request received since the last look (raises unless there was exactly one).
  def only_request
    list = received
    raise "expected one request to the fake engine, got #{list.size}: #{list.map(&:path)}" unless list.size == 1

    list.first
  end

  def call(env)
    req = Rack::Request.new(env)
    body = req.body&.read.to_s
    @requests << Request.new(method: req.request_method, path: req.path, query: req.query_string,
                             authorization: env["HTTP_AUTHORIZATION"],
                             actor: env["HTTP_X_ACTOR"], content_type: req.content_type,
                             body: body)
    @handler.call(req)
  end
end
