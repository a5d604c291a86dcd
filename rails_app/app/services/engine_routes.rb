# The allowlist of engine API paths the browser may reach through Rails (everything else: 404).
# Paths are relative to /api/v1. Reads are open to every logged-in user; control requests need
# the operator role and are audited (ControlAudit) under `action`, with `target` (a bot id or "").
#
# An id segment is 1-128 characters of [A-Za-z0-9_.:-] not starting with a dot, so "." and ".."
# never reach the engine.
module EngineRoutes
  Route = Struct.new(:kind, :action, :target, keyword_init: true) do
    def control?
      kind == :control
    end
  end

  ID = "([A-Za-z0-9_:-][A-Za-z0-9_.:-]{0,127})".freeze
  BOT_COMMANDS = %w[start stop pause resume emergency-stop].freeze

  READS = [
    %r{\Amarket/candles\z},
    %r{\Asignals/#{ID}\z},
    %r{\Astrategies\z},
    %r{\Abots\z},
    %r{\Abots/#{ID}\z},
    %r{\Apositions\z},
    %r{\Aorders\z},
    %r{\Atrades\z},
    %r{\Aaccount\z},
    %r{\Apnl\z},
    %r{\Abacktests/#{ID}\z},
    %r{\Abacktests/#{ID}/(?:report|trades)\z},
    %r{\Amodels\z},
    %r{\Amodels/#{ID}\z},
    %r{\Asentiment/#{ID}\z},
  ].freeze

  BOT_CONTROL = %r{\Abots/#{ID}/(#{BOT_COMMANDS.map { |c| Regexp.escape(c) }.join('|')})\z}

  module_function

  # The Route for `method` + `path` (relative to /api/v1, no query), or nil when not allowed.
  def match(method, path)
    case method
    when "GET", "HEAD"
      Route.new(kind: :read) if READS.any? { |pattern| pattern.match?(path) }
    when "POST"
      control(path)
    end
  end

  def control(path)
    if (m = BOT_CONTROL.match(path))
      Route.new(kind: :control, action: "bots.#{m[2]}", target: m[1])
    elsif path == "backtests"
      Route.new(kind: :control, action: "backtests.create", target: "")
    elsif path == "models/train"
      Route.new(kind: :control, action: "models.train", target: "")
    end
  end
end
