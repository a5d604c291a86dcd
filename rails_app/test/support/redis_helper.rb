# The real Redis of the suite (REDIS_URL, set by bin/ci-test), on a database number of its own,
# emptied before each test that asks for it.
module RedisHelper
  DB = 13

  def test_redis_url
    url = ENV["REDIS_URL"].presence ||
          flunk("REDIS_URL is not set: run the suite with rails_app/bin/ci-test")
    url.sub(%r{/\d+\z}, "") + "/#{DB}"
  end

  # The test's own client (emptied once). A relay gets another one (new_redis): a client is
  # shared by threads under a lock, and a relay looping on XREAD BLOCK would starve the test.
  def test_redis
    @test_redis ||= new_redis.tap(&:flushdb)
  end

  def new_redis
    Redis.new(url: test_redis_url)
  end
end
