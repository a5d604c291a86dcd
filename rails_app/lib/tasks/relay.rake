namespace :relay do
  desc "Relay the engine's Redis event stream to ActionCable until SIGTERM/SIGINT (see EventRelay)"
  task run: :environment do
    $stdout.sync = true
    Rails.logger = ActiveSupport::Logger.new($stdout) if ENV["RAILS_LOG_TO_STDOUT"].present?
    stopping = false
    %w[TERM INT].each { |signal| Signal.trap(signal) { stopping = true } }
    EventRelay.from_env.run(stop: -> { stopping })
  end
end
