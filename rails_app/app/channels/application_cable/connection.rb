# A websocket connection belongs to the user of the session cookie (the one POST /api/session
# set); without a valid session the connection is rejected. The Origin header is checked
# before this (config.action_cable.allowed_request_origins / allow_same_origin_as_host).
module ApplicationCable
  class Connection < ActionCable::Connection::Base
    identified_by :current_user

    def connect
      self.current_user = session_user || reject_unauthorized_connection
    end

    private

    def session_user
      key = Rails.application.config.session_options.fetch(:key)
      data = cookies.encrypted[key]
      user_id = data.is_a?(Hash) ? data["user_id"] : nil
      user_id && User.find_by(id: user_id)
    end
  end
end
