"""Typed settings: built once at start-up from CLI flags and the environment.

No other module reads the environment; everything else receives a
:class:`Settings` (or one of its parts) from the app factory.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

__all__ = [
    "DEFAULT_CREDENTIAL_SECRET",
    "DEFAULT_SANDBOX_PORT",
    "MIN_CREDENTIAL_SECRET_LENGTH",
    "RetryPolicy",
    "Settings",
    "WatchPolicy",
    "split_list",
]

DEFAULT_SANDBOX_PORT = 8765
DEFAULT_CREDENTIAL_SECRET = "session-gateway-default-secret"
# With Redis, the secret keys channel names and signs messages: a short or
# known one would let anyone who reads Redis test key guesses offline, and
# anyone who writes to it forge events.
MIN_CREDENTIAL_SECRET_LENGTH = 32


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of idempotent upstream calls: exponential backoff with full jitter,
    bounded both in attempts and in the total time spent waiting."""

    attempts: int = 5  # total tries, the first included
    base_delay: float = 0.1
    max_delay: float = 1.0
    total_budget: float = 5.0
    # The retry budget (gateway.resilience.RetryBudget): each answered call
    # earns ``budget_ratio`` of a retry, at most ``budget_capacity`` saved up,
    # plus a floor of ``budget_floor_per_second``. 0.5 is what 99% success at
    # 30% random failures needs (about 0.43 retries per read); a dead upstream
    # answers nothing, so it earns no retries at all.
    budget_ratio: float = 0.5
    budget_capacity: float = 50.0
    budget_floor_per_second: float = 1.0


@dataclass(frozen=True)
class WatchPolicy:
    """How readiness watchers poll the upstream."""

    start: float = 1.0
    factor: float = 1.5
    cap: float = 10.0
    lease_ttl: float = 10.0
    # How long the last known state is kept in the broker for late joiners.
    state_ttl: float = 60.0
    max_per_credential: int = 200
    max_subscriptions_per_credential: int = 1000
    max_per_connection: int = 100
    max_ids_per_subscription: int = 50


@dataclass(frozen=True)
class Settings:
    upstream_url: str = f"http://127.0.0.1:{DEFAULT_SANDBOX_PORT}"
    host: str = "127.0.0.1"
    port: int = 8000
    # Run the sandbox upstream inside the gateway's process (``make run``).
    sandbox: bool = False
    sandbox_processing_delay: float = 5.0
    # The reading of the contract the sandbox serves (gateway.sandbox.flavors).
    sandbox_flavor: str = "strict"
    # Check the sandbox's every answer against its contract (tests; needs jsonschema).
    sandbox_validate_contract: bool = False
    redis_url: str | None = None
    # Keys broker channel names to a credential without revealing it; give
    # every replica the same value.
    credential_secret: str = DEFAULT_CREDENTIAL_SECRET
    connect_timeout: float = 3.0
    read_timeout: float = 15.0
    max_connections: int = 100
    max_concurrency_per_operation: int = 16
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # A route family's circuit breaker opens after this many calls in a row
    # failed as unavailable, and stays open this many seconds before probing.
    breaker_threshold: int = 5
    breaker_ttl: float = 5.0
    # Seconds a successful GET is kept per credential; 0 turns the cache off.
    cache_ttl: float = 0.0
    watch: WatchPolicy = field(default_factory=WatchPolicy)
    # Bounds on one operation.
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 1000
    # Fields of the operation once its fragments are spread (GraphiQL's
    # introspection query is about 150).
    max_fields: int = 1000
    # Directives written in a document, variables one operation declares, and
    # how deep selections nest counting fragments (graphql-core's introspection query: 17).
    max_directives: int = 20
    max_variables: int = 50
    max_nesting: int = 24
    max_upstream_calls: int = 200
    max_page_size: int = 100
    # One operation's answer: estimated as its heavy parts are built, and
    # checked as it is written (a full 10,000-frame export is about 4 MB).
    max_response_bytes: int = 16 * 1024 * 1024
    # The same answer estimated before the operation runs (schema/estimate.py),
    # from assumed frame and series counts: above this, refused before any
    # upstream call. Generous, as the assumptions are.
    max_response_estimate: int = 64 * 1024 * 1024
    # Pairs of fields graphql-core's merging rule compares (schema/bounds.py).
    max_merge_cost: int = 3000
    # A GraphQL request's body; an upload's (multipart) has its own bound.
    max_request_bytes: int = 1024 * 1024
    max_upload_bytes: int = 512 * 1024 * 1024
    # All of a request's headers together (a browser's are 1-4 KB).
    max_header_bytes: int = 16 * 1024
    # WebSocket connections (0: no bound). Behind a proxy every client has
    # the proxy's address: raise the first bound there.
    ws_max_per_address: int = 100
    ws_max_per_key: int = 50
    # Seconds from the upgrade to connection_init.
    ws_init_timeout: float = 10.0
    # Results waiting for a client that isn't reading; past this it is closed.
    ws_max_pending_bytes: int = 4 * 1024 * 1024
    # Queries and mutations of one connection executing at once.
    ws_max_operations: int = 8
    graphiql: bool = True
    # Schema introspection (GraphiQL and code generators need it); when off,
    # validation errors stop suggesting the schema's names too.
    introspection: bool = True
    # When set, /metrics answers only `Authorization: Bearer <token>`.
    metrics_token: str | None = None
    log_level: str = "info"
    # "json" (one object per line) or "text"; unset: text on a terminal, else json.
    log_format: str | None = None
    # On SIGTERM: /readyz answers 503 at once; new requests are still taken for
    # drain_delay seconds (for load balancers to notice), then in-flight ones
    # get drain_seconds to finish before the process exits.
    drain_delay: float = 0.0
    drain_seconds: float = 10.0
    # The share of upstream 200 bodies checked against the contract (0 to 1).
    contract_sample_rate: float = 1.0
    # Read from the standard variables named in _FOREIGN_ENV, not GATEWAY_*.
    traces_exporter: str | None = None
    metrics_multiproc_dir: str | None = None
    # Server processes sharing the port; more than one needs Redis (``--workers``).
    workers: int = 1
    # Seconds between keep-alive messages on a legacy graphql-ws socket
    # (graphql-transport-ws clients ping the server themselves).
    ws_keep_alive_interval: float = 15.0
    # Web origins allowed to call from another origin (CORS and WebSocket
    # upgrades): "https://app.example.com", "http://localhost:*" or "*".
    # Empty: same-origin only; sandbox mode adds loopback dev servers.
    cors_origins: tuple[str, ...] = ()
    # Automatic persisted queries remembered by this process (LRU).
    apq_cache_size: int = 1000

    def __post_init__(self) -> None:
        secret = self.credential_secret
        if self.redis_url and (
            secret == DEFAULT_CREDENTIAL_SECRET or len(secret) < MIN_CREDENTIAL_SECRET_LENGTH
        ):
            raise ValueError(
                "GATEWAY_CREDENTIAL_SECRET must be set, to a random value of at least "
                f"{MIN_CREDENTIAL_SECRET_LENGTH} characters shared by every replica, when "
                "Redis is used (e.g. `openssl rand -hex 32`)"
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``GATEWAY_*`` variables, then explicit overrides (CLI flags).

        Overrides that are ``None`` are ignored, so a CLI can pass every flag
        through and let unset ones fall back to the environment.
        """
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"GATEWAY_{f.name.upper()}")
            if raw is None or f.name in ("retry", "watch", *_FOREIGN_ENV):
                continue
            values[f.name] = _parse(raw, f.type)
        watch: dict[str, Any] = {
            f.name: float(env[f"GATEWAY_WATCH_{f.name.upper()}"])
            for f in fields(WatchPolicy)
            if f"GATEWAY_WATCH_{f.name.upper()}" in env
        }
        if watch:
            values["watch"] = WatchPolicy(
                **{k: int(v) if k.startswith("max_") else v for k, v in watch.items()}
            )
        for name, variable in _FOREIGN_ENV.items():
            if env.get(variable):
                values[name] = env[variable]
        settings = cls(**values)
        return replace(settings, **{k: v for k, v in overrides.items() if v is not None})

    def to_json(self) -> str:
        """The whole settings object, for worker processes (see :meth:`from_json`)."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Settings:
        values = json.loads(text)
        # JSON has no tuples: the settings' lists are tuples (frozen, hashable).
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
        values["retry"] = RetryPolicy(**values["retry"])
        values["watch"] = WatchPolicy(**values["watch"])
        return cls(**values)


def split_list(raw: str) -> tuple[str, ...]:
    """A comma-separated setting, blanks dropped."""
    return tuple(part.strip() for part in raw.split(",") if part.strip())


# Settings that other tools define the variables of: OpenTelemetry's SDK reads
# the rest of OTEL_*, prometheus-client reads PROMETHEUS_MULTIPROC_DIR itself.
_FOREIGN_ENV = {
    "traces_exporter": "OTEL_TRACES_EXPORTER",
    "metrics_multiproc_dir": "PROMETHEUS_MULTIPROC_DIR",
}


def _parse(raw: str, annotation: object) -> Any:
    kind = str(annotation)
    if kind == "bool":
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    if kind == "str | None":
        return raw or None
    if kind == "tuple[str, ...]":
        return split_list(raw)
    return raw
