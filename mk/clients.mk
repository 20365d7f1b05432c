# The frontend clients of examples/clients/ (Apollo Client, urql, graphql-ws,
# graphql-sse, apollo-upload-client, graphql-codegen, graphql-http's audit),
# pinned in its package-lock.json and installed with the machine's Node.js.
# tests/frontend/ runs them against a live gateway. Reinstalled only when the
# lockfile changes.
CLIENTS_DIR   := examples/clients
CLIENTS_STAMP := $(CLIENTS_DIR)/node_modules/.installed

.PHONY: clients-npm

clients-npm: $(CLIENTS_STAMP)

$(CLIENTS_STAMP): $(CLIENTS_DIR)/package.json $(CLIENTS_DIR)/package-lock.json $(CLIENTS_DIR)/.npmrc
	@command -v npm >/dev/null || { echo "clients-npm: needs Node.js >= 20 and npm" >&2; exit 1; }
	cd $(CLIENTS_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

TEST_DEPS += clients-npm
