# One bot's events: bot (state), risk, reconciliation, and its order/fill. Params: {bot_id}.
class BotChannel < ApplicationCable::Channel
  def subscribed
    bot_id = params[:bot_id].to_s
    return reject unless authorised? && EventRouting::BOT_ID.match?(bot_id)

    stream_from EventRouting.bot_stream(bot_id)
  end
end
