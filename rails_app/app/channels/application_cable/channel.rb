# Channels authorise in `subscribed`: a known user with a known role (every role may watch;
# only control goes through the operator check, in EngineProxyController), and valid params.
module ApplicationCable
  class Channel < ActionCable::Channel::Base
    private

    def authorised?
      current_user.present? && User::ROLES.include?(current_user.role)
    end
  end
end
