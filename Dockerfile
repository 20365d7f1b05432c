# syntax=docker/dockerfile:1
# The gateway image: the same install as `make install`, GraphiQL's assets
# built from the pinned npm packages, run as a non-root user.

FROM node:20-bookworm-slim AS graphiql
WORKDIR /src/web/graphiql
COPY web/graphiql/package.json web/graphiql/package-lock.json web/graphiql/.npmrc ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY web/graphiql/ ./
# vite writes to ../../gateway/static/graphiql (see vite.config.js).
RUN mkdir -p /src/gateway/static && npm run build

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY gateway/ gateway/
COPY schema/ schema/
COPY --from=graphiql /src/gateway/static/graphiql/ gateway/static/graphiql/
# With the [otel] extra: tracing is then one OTEL_TRACES_EXPORTER away. (The
# project itself, not a registry package: its dependencies are bounded in
# pyproject.toml, hence no pin here.)
# hadolint ignore=DL3013
RUN pip install --no-compile ".[otel]" \
    && useradd --system --uid 10001 --no-create-home gateway
USER 10001

# Every setting is also an environment variable (see README: GATEWAY_*).
ENV GATEWAY_HOST=0.0.0.0 GATEWAY_PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request,os; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('GATEWAY_PORT', '8000')}/healthz\", timeout=2)"]
ENTRYPOINT ["session-gateway"]
CMD ["serve"]
