# Set environment variables for one test; teardown puts the old values back.
module EnvHelper
  def with_env(values)
    @saved_env ||= {}
    values.each do |name, value|
      @saved_env[name] = ENV[name] unless @saved_env.key?(name)
      value.nil? ? ENV.delete(name) : ENV[name] = value.to_s
    end
  end

  def after_teardown
    (@saved_env || {}).each { |name, value| value.nil? ? ENV.delete(name) : ENV[name] = value }
    @saved_env = nil
    super
  end
end
