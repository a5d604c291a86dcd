# Market events of one symbol: bar, signal, book. Params: {symbol: "BTCUSDT"} (upper-cased).
class MarketChannel < ApplicationCable::Channel
  def subscribed
    symbol = params[:symbol].to_s.upcase
    return reject unless authorised? && EventRouting::SYMBOL.match?(symbol)

    stream_from EventRouting.market_stream(symbol)
  end
end
