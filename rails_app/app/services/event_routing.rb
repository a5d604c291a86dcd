# Which ActionCable streams an engine event goes to (the relay is the only writer):
#   market:<SYMBOL>  bar, signal, book                        (MarketChannel {symbol})
#   account          order, fill, position, equity            (AccountChannel)
#   bot:<BOT_ID>     bot, risk, reconciliation, order, fill    (BotChannel {bot_id})
#   system           health, venue_error; bot/risk/reconciliation without a bot id (SystemChannel)
# Events of other types, or market events without a symbol, go nowhere.
module EventRouting
  MARKET_TYPES = %w[bar signal book].freeze
  ACCOUNT_TYPES = %w[order fill position equity].freeze
  BOT_TYPES = %w[bot risk reconciliation].freeze
  BOT_ACCOUNT_TYPES = %w[order fill].freeze
  SYSTEM_TYPES = %w[health venue_error].freeze

  SYMBOL = /\A[A-Z0-9]{2,30}\z/
  BOT_ID = /\A[A-Za-z0-9_.:-]{1,64}\z/

  module_function

  def market_stream(symbol) = "market:#{symbol}"
  def bot_stream(bot_id) = "bot:#{bot_id}"
  def account_stream = "account"
  def system_stream = "system"

  def streams_for(type, bot_id: "", symbol: "")
    streams = []
    streams << market_stream(symbol) if MARKET_TYPES.include?(type) && SYMBOL.match?(symbol)
    streams << account_stream if ACCOUNT_TYPES.include?(type)
    if BOT_TYPES.include?(type) || BOT_ACCOUNT_TYPES.include?(type)
      if BOT_ID.match?(bot_id)
        streams << bot_stream(bot_id)
      elsif BOT_TYPES.include?(type)
        streams << system_stream
      end
    end
    streams << system_stream if SYSTEM_TYPES.include?(type)
    streams
  end
end
