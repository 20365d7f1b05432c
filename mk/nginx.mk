# Debian's nginx for the load-balancer test (tests/deploy/test_nginx.py): the
# binary only; the test runs its own instance on loopback with its own config.
.PHONY: nginx
nginx:
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || { \
		echo "installing nginx"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx) \
		|| { echo "could not install nginx (needs root and Debian's package index)"; exit 1; }; }

TEST_DEPS += nginx
