"""Typed settings: one model, built once at start-up from CLI flags and the environment.

Every knob is one field of :class:`Settings`, or of its two parts
:class:`RetryPolicy` and :class:`WatchPolicy`: its type, default and
description live there and nowhere else. Its variable is ``GATEWAY_`` and
the field's name (``GATEWAY_RETRY_…`` and ``GATEWAY_WATCH_…`` for the parts'
fields); a few also have a ``serve`` flag, which wins over the variable. The
README's settings table is rendered from these fields
(``make settings-doc``, :mod:`gateway.settings_doc`).

:meth:`Settings.from_env` is the one reader of the environment (with
:meth:`Settings.from_parent` for ``--workers`` processes): a value that
doesn't parse raises :class:`InvalidSetting`, whose message names the
variable (or flag) and the type it expects. ``Settings(...)`` takes keywords
only and never reads the environment, so tests and the app factory get
exactly what they ask for.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

__all__ = [
    "DEFAULT_CREDENTIAL_SECRET",
    "DEFAULT_SANDBOX_PORT",
    "ENV_PREFIX",
    "MIN_CREDENTIAL_SECRET_LENGTH",
    "WORKER_SETTINGS",
    "InvalidSetting",
    "Knob",
    "RetryPolicy",
    "Settings",
    "WatchPolicy",
    "default",
    "knobs",
    "split_list",
]

ENV_PREFIX = "GATEWAY_"
DEFAULT_SANDBOX_PORT = 8765
DEFAULT_CREDENTIAL_SECRET = "session-gateway-default-secret"
# With Redis, the secret keys channel names and signs messages: a short or
# known one would let anyone who reads Redis test key guesses offline, and
# anyone who writes to it forge events.
MIN_CREDENTIAL_SECRET_LENGTH = 32
# How a ``--workers`` process finds the parent's settings: flags and
# environment are parsed once, in the parent, and handed over whole.
WORKER_SETTINGS = "GATEWAY_WORKER_SETTINGS"


class InvalidSetting(ValueError):
    """A setting that doesn't parse, or settings that don't fit together.

    The message names the variable (or the flag) and what it expects; the CLI
    prints it and exits, without a traceback."""


def split_list(raw: str) -> tuple[str, ...]:
    """A comma-separated setting, blanks dropped."""
    return tuple(part.strip() for part in raw.split(",") if part.strip())


_BOOLEANS = {
    "true": True,
    "1": True,
    "yes": True,
    "on": True,
    "false": False,
    "0": False,
    "no": False,
    "off": False,
}
_BOOLEAN_WORDS = "true/false, 1/0, yes/no or on/off"


def _boolean(value: object) -> object:
    # Pydantic alone also takes t/f/y/n; the README lists these eight words,
    # and anything else ("enabled") is refused, not guessed.
    if isinstance(value, str):
        word = value.strip().lower()
        if word not in _BOOLEANS:
            raise PydanticCustomError("bool_parsing", "not a boolean")
        return _BOOLEANS[word]
    return value


def _unset_if_blank(value: object) -> object:
    # `GATEWAY_REDIS_URL=` (set but empty) means "not set", as it always has.
    return None if isinstance(value, str) and not value.strip() else value


def _comma_separated(value: object) -> object:
    return split_list(value) if isinstance(value, str) else value


Switch = Annotated[bool, BeforeValidator(_boolean)]
OptionalText = Annotated[str | None, BeforeValidator(_unset_if_blank)]
# NoDecode: a variable holds "a,b", not JSON.
TextList = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_comma_separated)]


def _flag(flag: str) -> dict[str, Any]:
    """Metadata of a field that ``serve`` also takes as a flag."""
    return {"flag": flag}


def _shown(default: str, **extra: Any) -> dict[str, Any]:
    """Metadata of a field whose default the README says in words."""
    return {"shown": default, **extra}


class _Part(BaseModel):
    # Typos in code fail; unknown GATEWAY_WATCH_* variables are dropped
    # before validation (see _Environment), as they always were.
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class RetryPolicy(_Part):
    """Retries of idempotent upstream calls: exponential backoff with full jitter,
    bounded both in attempts and in the total time spent waiting."""

    attempts: int = Field(
        5, ge=1, description="tries of an idempotent upstream call, the first included"
    )
    base_delay: float = Field(
        0.1, ge=0, description="seconds before the first retry (doubled per retry, full jitter)"
    )
    max_delay: float = Field(1.0, ge=0, description="longest wait before one retry, in seconds")
    total_budget: float = Field(
        5.0, ge=0, description="seconds one call may spend waiting between its tries"
    )
    # The retry budget (gateway.upstream.resilience.RetryBudget): 0.5 is what 99%
    # success at 30% random failures needs (about 0.43 retries per read); a
    # dead upstream answers nothing, so it earns no retries at all.
    budget_ratio: float = Field(
        0.5,
        ge=0,
        description="retries each answered upstream call earns for the process's retry budget",
    )
    budget_capacity: float = Field(50.0, ge=0, description="retries the budget saves up at most")
    budget_floor_per_second: float = Field(
        1.0, ge=0, description="retries per second the budget earns however the upstream answers"
    )


class WatchPolicy(_Part):
    """How readiness watchers poll the upstream, and how many they may be."""

    start: float = Field(1.0, ge=0, description="seconds before a watched session's first poll")
    factor: float = Field(
        1.5, ge=1, description="each poll waits this many times longer than the last"
    )
    cap: float = Field(10.0, ge=0, description="longest wait between two polls, in seconds")
    lease_ttl: float = Field(10.0, ge=0, description="seconds a dead replica's polling lease lasts")
    state_ttl: float = Field(
        1.0,
        ge=0,
        description=(
            "seconds a watch's last polled state stays fresh: a subscriber joining "
            "within it starts from it with no upstream call; after it, the first "
            "joiner reads the upstream and the others share that read"
        ),
    )
    max_per_credential: int = Field(200, ge=0, description="sessions watched at once per key")
    max_subscriptions_per_credential: int = Field(
        1000, ge=0, description="subscriptions at once per key"
    )
    max_per_connection: int = Field(100, ge=0, description="subscriptions per WebSocket")
    max_ids_per_subscription: int = Field(50, ge=0, description="ids in one `analyzedVideos`")


class Settings(BaseSettings):
    """Every setting of the gateway; frozen, and passed in to whatever needs it."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        # GATEWAY_WATCH_MAX_PER_CREDENTIAL is watch.max_per_credential: split
        # once, after the part's name.
        env_nested_delimiter="_",
        env_nested_max_split=1,
        case_sensitive=False,
        frozen=True,
        extra="forbid",
        allow_inf_nan=False,
        # The two fields read from another tool's variable (an alias) are
        # still given by name in code and in the workers' JSON.
        validate_by_name=True,
    )

    # The server.
    host: str = Field(
        "127.0.0.1", description="address to listen on", json_schema_extra=_flag("--host")
    )
    port: int = Field(
        8000, ge=0, le=65535, description="port to listen on", json_schema_extra=_flag("--port")
    )
    workers: int = Field(
        1,
        ge=1,
        description="server processes sharing the port; more than 1 needs `--redis-url` (see "
        '"Using every core")',
        json_schema_extra=_flag("--workers"),
    )
    keep_alive_timeout: int = Field(
        75,
        gt=0,
        description="seconds an idle HTTP connection is kept open; longer than the idle "
        "timeout of the clients and load balancers in front (httpx 5 s, aiohttp 15 s, "
        "a cloud load balancer 60 s), so that they close it first and never send a "
        "request on a connection the gateway is closing",
    )
    event_loop: str = Field(
        "auto",
        description="`uvloop` or `asyncio`; `auto` takes uvloop when it is installed (it comes "
        "with the gateway) and asyncio's own loop otherwise",
    )
    log_level: str = Field(
        "info",
        description="`debug`, `info`, `warning`, `error` or `critical`",
        json_schema_extra=_flag("--log-level"),
    )
    log_format: OptionalText = Field(
        None,
        description="`json` (one object per log line) or `text`",
        json_schema_extra=_shown("`text` on a terminal, else `json`"),
    )

    # The upstream.
    upstream_url: str = Field(
        f"http://127.0.0.1:{DEFAULT_SANDBOX_PORT}",
        description="the REST API's base URL (with `--sandbox`, unless given as a flag: "
        "the sandbox's)",
        json_schema_extra=_flag("--upstream-url"),
    )
    connect_timeout: float = Field(3.0, ge=0, description="seconds to connect to the upstream")
    read_timeout: float = Field(15.0, ge=0, description="seconds to wait for an upstream answer")
    max_connections: int = Field(100, ge=1, description="upstream connection pool size")
    max_concurrency_per_operation: int = Field(
        16, ge=1, description="upstream calls in flight for one operation"
    )
    retry: RetryPolicy = Field(
        default_factory=RetryPolicy, description="retries of idempotent upstream calls"
    )
    breaker_threshold: int = Field(
        5,
        ge=1,
        description="a route family's circuit breaker opens after this many calls in a row "
        "failed as unavailable",
    )
    breaker_ttl: float = Field(
        5.0, ge=0, description="seconds an open breaker waits before it lets a call probe"
    )
    rate_limit_calls_per_second: float = Field(
        0.0,
        ge=0,
        description="upstream calls per second each key may spend, counted per operation "
        "(estimated, then settled on the calls made); shared through Redis when set "
        "(0: no limit)",
    )
    rate_limit_burst: float = Field(
        100.0,
        gt=0,
        description="upstream calls a key may spend at once, the bucket's size",
    )
    refused_key_ttl: float = Field(
        5.0,
        ge=0,
        description="seconds a key the upstream answered 401 is refused again without a call "
        "(0: every call asks)",
    )
    cache_ttl: float = Field(
        0.0,
        ge=0,
        description="seconds a successful GET of an export or a report is kept, per "
        "credential; never an endpoint the video status is read from; a write drops the "
        "writer's entries",
        json_schema_extra=_shown("`0` (off)"),
    )
    contract_sample_rate: float = Field(
        1.0,
        ge=0,
        le=1,
        description="share of the due upstream 200 bodies checked against the contract "
        "(0: no check)",
    )
    contract_check_interval: float = Field(
        10.0,
        ge=0,
        description="after the first 10 answers of each upstream route, one of its answers "
        "is due for the contract check this often, in seconds (0: every answer)",
    )

    # The in-process sandbox (``make run``).
    sandbox: Switch = Field(
        False,
        description="also run the sandbox upstream in this process and use it",
        json_schema_extra=_flag("--sandbox"),
    )
    sandbox_port: int = Field(
        DEFAULT_SANDBOX_PORT,
        ge=0,
        le=65535,
        description="the sandbox's port, with `--sandbox`",
        json_schema_extra=_flag("--sandbox-port"),
    )
    sandbox_flavor: str = Field(
        "strict",
        description="with `--sandbox`: which reading of the contract the sandbox serves (see "
        '"DESIGN: readiness, and the readings of the contract")',
        json_schema_extra=_flag("--flavor"),
    )
    sandbox_processing_delay: float = Field(
        5.0, ge=0, description="with `--sandbox`: seconds the sandbox takes to process a video"
    )
    sandbox_validate_contract: Switch = Field(
        False,
        description="with `--sandbox`: check the sandbox's every answer against its contract "
        "(tests; needs jsonschema)",
    )

    # Several replicas.
    redis_url: OptionalText = Field(
        None,
        # A repr goes to logs and tracebacks: never the secret (or a URL's password).
        repr=False,
        description="Redis shared by replicas, e.g. `redis://127.0.0.1:6379/0`",
        json_schema_extra=_shown("none (in-memory)", flag="--redis-url"),
    )
    credential_secret: str = Field(
        DEFAULT_CREDENTIAL_SECRET,
        # A repr goes to logs and tracebacks: never the secret (or a URL's password).
        repr=False,
        description="keys broker names to credentials and signs broker messages; with Redis, "
        f"required: {MIN_CREDENTIAL_SECRET_LENGTH}+ random characters, the same on every replica",
        json_schema_extra=_shown("a built-in value"),
    )
    watch: WatchPolicy = Field(default_factory=WatchPolicy, description="readiness watchers")

    # Bounds on one operation.
    max_depth: int = Field(12, ge=0, description="how deep an operation's selections nest")
    max_aliases: int = Field(30, ge=0, description="aliases in an operation")
    max_tokens: int = Field(
        800,
        ge=0,
        description="tokens in a document (GraphiQL's introspection query has 183; "
        "parsing costs about 10 µs a token)",
    )
    max_query_chars: int = Field(
        32 * 1024,
        ge=0,
        description="characters in a document, comments and white space included, refused "
        "before parsing (GraphiQL's introspection query has about 1,800)",
    )
    max_cached_query_chars: int = Field(
        16 * 1024,
        ge=0,
        description="longer documents still run, but no cache keeps their text, parse or "
        "validation",
    )
    document_cache_bytes: int = Field(
        32 * 2**20,
        ge=0,
        description="what the parsed and validated documents kept for reuse may hold, "
        "estimated from their text and tokens (0: none kept)",
    )
    max_fields: int = Field(
        1000,
        ge=0,
        description="fields of an operation once its fragments are spread (checked without "
        "spreading them; GraphiQL's introspection query is about 150)",
    )
    max_directives: int = Field(20, ge=0, description="directives written in a document")
    max_variables: int = Field(50, ge=0, description="variables one operation declares")
    max_nesting: int = Field(
        24,
        ge=0,
        description="how deep selections nest counting fragments (graphql-core's "
        "introspection query: 17)",
    )
    max_upstream_calls: int = Field(200, ge=0, description="upstream calls one operation may cause")
    max_page_size: int = Field(100, ge=1, description="largest `first`/`last`, and ids per `nodes`")
    max_response_bytes: int = Field(
        16 * 1024 * 1024,
        ge=0,
        description="one operation's answer, estimated as its heavy parts are built and "
        "checked as it is written (a full 10,000-frame export is about 4 MB)",
        json_schema_extra=_shown("`16777216` (16 MiB)"),
    )
    max_response_estimate: int = Field(
        64 * 1024 * 1024,
        ge=0,
        description="one operation's answer estimated before it runs (lists by their "
        "`ids`/`names`/`first`, 1,000 frames per export where `frames` doesn't say); above "
        "it, refused before any upstream call",
        json_schema_extra=_shown("`67108864` (64 MiB)"),
    )
    max_merge_cost: int = Field(
        2000,
        ge=1,
        description="field pairs graphql-core's merging rule may compare, weighted "
        "(`schema/bounds.py`): one response name repeated in one place, fragments side by side",
    )
    max_request_bytes: int = Field(
        1024 * 1024,
        ge=0,
        description="a GraphQL request's body, and a WebSocket message",
        json_schema_extra=_shown("`1048576` (1 MiB)"),
    )
    max_upload_bytes: int = Field(
        512 * 1024 * 1024,
        ge=0,
        description="an upload's (multipart) body; past it, 413",
        json_schema_extra=_shown("`536870912` (512 MiB)"),
    )
    max_header_bytes: int = Field(
        16 * 1024, ge=0, description="all of a request's headers together (a browser's are 1-4 KB)"
    )
    body_timeout: float = Field(
        10.0,
        gt=0,
        description="seconds a request body may go without a byte arriving; then 408 and the "
        "connection closed (headers that never finish are the proxy's to time out)",
    )

    # WebSockets.
    ws_max_per_address: int = Field(
        100,
        ge=0,
        description="open WebSockets per client address (`0`: no bound); behind a proxy, "
        "where every client has the proxy's address, raise it or set `0`",
    )
    ws_max_per_key: int = Field(50, ge=0, description="open WebSockets per key (`0`: no bound)")
    ws_init_timeout: float = Field(
        10.0, ge=0, description="seconds from the upgrade to `connection_init`, both protocols"
    )
    ws_max_pending_bytes: int = Field(
        4 * 1024 * 1024,
        ge=0,
        description="results waiting for a client that isn't reading; past this it is closed",
        json_schema_extra=_shown("`4194304` (4 MiB)"),
    )
    ws_max_operations: int = Field(
        8, ge=1, description="queries and mutations of one WebSocket executing at once"
    )
    ws_keep_alive_interval: float = Field(
        15.0,
        ge=0,
        description="seconds between keep-alive messages on a legacy `graphql-ws` socket "
        "(graphql-transport-ws clients ping the server themselves)",
    )

    # What the gateway serves.
    graphiql: Switch = Field(True, description="serve GraphiQL at `/graphql` to browsers")
    introspection: Switch = Field(
        True,
        description="schema introspection (GraphiQL and code generators need it); off also drops "
        '"Did you mean" suggestions',
    )
    trusted_documents: OptionalText = Field(
        None,
        description="a manifest of trusted documents: graphql-codegen's `persisted-documents.json` "
        "or Apollo's persisted query manifest; requests name them by `documentId`",
        json_schema_extra=_shown("none"),
    )
    trusted_documents_only: Switch = Field(
        False,
        description="run only the manifest's documents: free text and unknown ids are refused "
        "before any upstream call",
    )
    cors_origins: TextList = Field(
        (),
        description="comma-separated web origins allowed to call cross-origin, for CORS and "
        "WebSocket upgrades: `https://app.example.com`, `http://localhost:*` or `*`",
        json_schema_extra=_shown(
            "same-origin only (sandbox: also `http://localhost:*`, `http://127.0.0.1:*`)",
            flag="--cors-origins",
        ),
    )
    apq_cache_size: int = Field(
        1000,
        ge=0,
        description="automatic persisted queries kept per process (shared through Redis when set)",
    )
    apq_cache_bytes: int = Field(
        4 * 2**20,
        ge=0,
        description="the text of the automatic persisted queries kept per process, in bytes",
    )
    metrics_token: OptionalText = Field(
        None,
        # A repr goes to logs and tracebacks: never the secret (or a URL's password).
        repr=False,
        description="when set, `/metrics` answers only `Authorization: Bearer <token>`",
    )

    # Shutdown: on SIGTERM /readyz answers 503 at once; new requests are still
    # taken for drain_delay (for load balancers to notice), then in-flight
    # ones get drain_seconds to finish before the process exits.
    drain_delay: float = Field(
        0.0, ge=0, description="after SIGTERM, seconds to keep taking requests (not ready)"
    )
    drain_seconds: float = Field(
        10.0, ge=0, description="then, seconds to wait for in-flight requests"
    )

    # Variables that other tools define: OpenTelemetry's SDK reads the rest
    # of OTEL_*, prometheus-client reads PROMETHEUS_MULTIPROC_DIR itself.
    traces_exporter: OptionalText = Field(
        None,
        validation_alias="OTEL_TRACES_EXPORTER",
        description="e.g. `otlp` or `console` (other `OTEL_*` variables configure it); needs "
        "the `[otel]` extra",
        json_schema_extra=_shown("unset: no tracing"),
    )
    metrics_multiproc_dir: OptionalText = Field(
        None,
        validation_alias="PROMETHEUS_MULTIPROC_DIR",
        description="a directory where several worker processes share `/metrics` "
        "(see Observability)",
        json_schema_extra=_shown("unset"),
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Keywords only: the environment is read by from_env, once.
        return (init_settings,)

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.upper() not in logging.getLevelNamesMapping():
            raise ValueError("expected one of debug, info, warning, error, critical")
        return value

    @field_validator("event_loop")
    @classmethod
    def _known_loop(cls, value: str) -> str:
        if value not in ("auto", "asyncio", "uvloop"):
            raise ValueError("expected auto, asyncio or uvloop")
        return value

    @field_validator("log_format")
    @classmethod
    def _known_format(cls, value: str | None) -> str | None:
        if value not in (None, "json", "text"):
            raise ValueError("expected json or text")
        return value

    @model_validator(mode="after")
    def _fit_together(self) -> Settings:
        secret = self.credential_secret
        if self.redis_url and (
            secret == DEFAULT_CREDENTIAL_SECRET or len(secret) < MIN_CREDENTIAL_SECRET_LENGTH
        ):
            raise ValueError(
                "GATEWAY_CREDENTIAL_SECRET must be set, to a random value of at least "
                f"{MIN_CREDENTIAL_SECRET_LENGTH} characters shared by every replica, when "
                "Redis is used (e.g. `openssl rand -hex 32`)"
            )
        if self.workers > 1 and self.redis_url is None:
            raise ValueError(
                f"--workers {self.workers} needs --redis-url (GATEWAY_REDIS_URL): workers are "
                "separate processes, and subscriptions share their events and their one poller "
                "per session through Redis. Run one worker per process without it."
            )
        if self.workers > 1 and self.sandbox:
            raise ValueError(
                "--workers > 1 does not run the sandbox in-process: start it on its own "
                "(session-gateway sandbox) and pass --upstream-url."
            )
        if self.trusted_documents_only and not self.trusted_documents:
            raise ValueError(
                "GATEWAY_TRUSTED_DOCUMENTS_ONLY needs GATEWAY_TRUSTED_DOCUMENTS: the manifest "
                "of the documents to run"
            )
        return self

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``GATEWAY_*`` variables, then explicit overrides (CLI flags).

        Overrides that are ``None`` are ignored, so a CLI can pass every flag
        through and let unset ones fall back to the environment. Raises
        :class:`InvalidSetting` naming the variable (or, for an override, its
        flag) of a value that doesn't parse.
        """
        given = {k: v for k, v in overrides.items() if v is not None}
        values = _Environment(os.environ if env is None else env)()
        values.update(given)
        try:
            return cls(**values)
        except ValidationError as exc:
            raise InvalidSetting(_explain(exc, flags=given.keys())) from None

    @classmethod
    def from_parent(cls) -> Settings:
        """A ``--workers`` process's settings: its parent's, whole (:data:`WORKER_SETTINGS`)."""
        return cls.from_json(os.environ[WORKER_SETTINGS])

    def to_json(self) -> str:
        """The whole settings object, for worker processes (see :meth:`from_json`)."""
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str) -> Settings:
        # model_validate_json bypasses the sources: the values are the parent's.
        return cls.model_validate_json(text)


class _Environment(EnvSettingsSource):
    """pydantic-settings' reading of the variables, from a given mapping."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._given = env
        super().__init__(Settings)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        # Not settings: GATEWAY_WATCH and GATEWAY_RETRY themselves (only
        # their fields are), and GATEWAY_TRACES_EXPORTER and the like (read
        # from the other tool's variable only).
        ignored = {
            f"{ENV_PREFIX}{name}".lower()
            for name, field in Settings.model_fields.items()
            if name in _PARTS or field.validation_alias is not None
        }
        return {k.lower(): v for k, v in self._given.items() if k.lower() not in ignored}

    def __call__(self) -> dict[str, Any]:
        values = super().__call__()
        for name, part in _PARTS.items():
            if name in values:
                # Unknown GATEWAY_WATCH_* variables were always ignored.
                values[name] = {k: v for k, v in values[name].items() if k in part.model_fields}
        return values


_PARTS: dict[str, type[BaseModel]] = {"retry": RetryPolicy, "watch": WatchPolicy}


class Knob:
    """One setting as the documentation and the CLI see it."""

    def __init__(self, path: tuple[str, ...], field: FieldInfo) -> None:
        self.path = path
        self.field = field
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        flag, shown = extra.get("flag"), extra.get("shown")
        self.flag = flag if isinstance(flag, str) else None
        self.shown = shown if isinstance(shown, str) else None

    @property
    def name(self) -> str:
        return self.path[0]

    @property
    def variable(self) -> str:
        alias = self.field.validation_alias
        if isinstance(alias, str):
            return alias
        return ENV_PREFIX + "_".join(self.path).upper()

    @property
    def default(self) -> str:
        """The default as the README and ``--help`` show it (Markdown)."""
        if self.shown is not None:
            return self.shown
        value = self.field.get_default(call_default_factory=True)
        if isinstance(value, bool):
            return "on" if value else "off"
        if value is None:
            return "unset"
        if isinstance(value, float):
            return f"`{value:g}`"
        return f"`{value}`"

    @property
    def description(self) -> str:
        return self.field.description or ""

    @property
    def expected(self) -> str:
        annotation = self.field.annotation
        if annotation is bool:
            return f"a boolean ({_BOOLEAN_WORDS})"
        if annotation is int:
            return "an integer"
        if annotation is float:
            return "a number"
        return "text"


def default(name: str) -> Any:
    """A setting's default, for the classes that take it as a keyword (an
    UpstreamClient built by a test, say): the number lives in one place."""
    return Settings.model_fields[name].get_default(call_default_factory=True)


def knobs() -> Iterator[Knob]:
    """Every setting, in the model's order: the parts' fields in place of the part."""
    for name, field in Settings.model_fields.items():
        part = _PARTS.get(name)
        if part is None:
            yield Knob((name,), field)
        else:
            for sub, sub_field in part.model_fields.items():
                yield Knob((name, sub), sub_field)


_BOUNDS = {
    "greater_than_equal": ">= {ge}",
    "greater_than": "> {gt}",
    "less_than_equal": "<= {le}",
    "less_than": "< {lt}",
}


def _explain(exc: ValidationError, *, flags: Any = ()) -> str:
    """One line per error: the variable (or flag), what it expects, what it got."""
    by_path = {k.path: k for k in knobs()}
    lines = []
    for error in exc.errors(include_url=False):
        loc = tuple(str(part) for part in error["loc"])
        knob = by_path.get(loc)
        ctx = error.get("ctx") or {}
        if knob is None:
            # The model's own checks (settings that don't fit together) or an
            # unknown keyword in code.
            cause = ctx.get("error")
            where = ".".join(loc)
            lines.append(
                f"{where}: {cause or error['msg']}" if where else str(cause or error["msg"])
            )
            continue
        name = knob.flag if knob.flag and knob.name in flags else knob.variable
        if error["type"] == "value_error":
            lines.append(f"{name}: {ctx.get('error')}, got {error['input']!r}")
            continue
        expected = knob.expected
        bound = _BOUNDS.get(error["type"])
        if bound is not None:
            expected = f"{expected} {bound.format(**ctx)}"
        # Only numbers and booleans fail to parse: never a secret's value.
        lines.append(f"{name}: expected {expected}, got {error['input']!r}")
    return "\n".join(lines)
