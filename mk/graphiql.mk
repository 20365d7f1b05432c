# Self-hosted GraphiQL (and the examples' graphql-ws module): built from the npm
# packages pinned in web/graphiql/package-lock.json with the machine's Node.js
# into gateway/static/graphiql/ (gitignored). Rebuilt only when its inputs change.
GRAPHIQL_WEB   := web/graphiql
GRAPHIQL_OUT   := gateway/static/graphiql
GRAPHIQL_STAMP := $(GRAPHIQL_OUT)/.built
GRAPHIQL_SRC   := $(GRAPHIQL_WEB)/package.json $(GRAPHIQL_WEB)/package-lock.json \
                  $(GRAPHIQL_WEB)/.npmrc $(GRAPHIQL_WEB)/vite.config.js \
                  $(wildcard $(GRAPHIQL_WEB)/src/* $(GRAPHIQL_WEB)/public/*)

.PHONY: graphiql-assets graphiql-clean

graphiql-assets: $(GRAPHIQL_STAMP)

$(GRAPHIQL_STAMP): $(GRAPHIQL_SRC)
	@command -v npm >/dev/null || { echo "graphiql-assets: needs Node.js >= 20 and npm" >&2; exit 1; }
	cd $(GRAPHIQL_WEB) && npm ci --no-audit --no-fund --loglevel=error && npm run build
	touch $@

graphiql-clean:
	rm -rf $(GRAPHIQL_OUT) $(GRAPHIQL_WEB)/node_modules

RUN_DEPS  += graphiql-assets
TEST_DEPS += graphiql-assets
