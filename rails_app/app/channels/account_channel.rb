# Account events of every bot: order, fill, position, equity.
class AccountChannel < ApplicationCable::Channel
  def subscribed
    return reject unless authorised?

    stream_from EventRouting.account_stream
  end
end
