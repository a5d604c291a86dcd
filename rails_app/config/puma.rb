# Puma: the port comes from PORT (never a default: the stack launcher picks a free one), bound to
# BIND (default 127.0.0.1). Threads from RAILS_MAX_THREADS (default 5).
max_threads_count = ENV.fetch("RAILS_MAX_THREADS") { 5 }
min_threads_count = ENV.fetch("RAILS_MIN_THREADS") { max_threads_count }
threads min_threads_count, max_threads_count

port_number = ENV["PORT"].to_s
abort "puma: set PORT (the port to listen on)" unless port_number.match?(/\A\d+\z/)
bind "tcp://#{ENV.fetch('BIND') { '127.0.0.1' }}:#{port_number}"

environment ENV.fetch("RAILS_ENV") { "development" }
pidfile ENV.fetch("PIDFILE") { "tmp/pids/server.pid" }
