# System events: health, venue_error (and bot/risk/reconciliation events without a bot id).
class SystemChannel < ApplicationCable::Channel
  def subscribed
    return reject unless authorised?

    stream_from EventRouting.system_stream
  end
end
