# Redis (Debian's redis-server) for the multi-replica tests and `--redis-url`.
.PHONY: redis-server
redis-server:
	@command -v redis-server >/dev/null 2>&1 || { \
		echo "installing redis-server"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) \
		|| { echo "could not install redis-server (needs root and Debian's package index)"; exit 1; }; }

TEST_DEPS += redis-server
