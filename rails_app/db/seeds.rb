# The demo users (idempotent: re-running resets their passwords and roles). DEMO ONLY: the
# defaults below are public; set DEMO_OPERATOR_EMAIL/PASSWORD and DEMO_VIEWER_EMAIL/PASSWORD for
# anything reachable by others.
{
  "operator" => [ENV.fetch("DEMO_OPERATOR_EMAIL", "operator@example.com"),
                 ENV.fetch("DEMO_OPERATOR_PASSWORD", "operator-demo")],
  "viewer" => [ENV.fetch("DEMO_VIEWER_EMAIL", "viewer@example.com"),
               ENV.fetch("DEMO_VIEWER_PASSWORD", "viewer-demo")],
}.each do |role, (email, password)|
  user = User.find_or_initialize_by(email: email.strip.downcase)
  user.update!(role: role, password: password)
  puts "seeds: #{role} #{user.email}"
end
