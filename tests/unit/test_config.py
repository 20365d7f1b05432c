"""The settings model: defaults, parsing, refusals that name the variable, and hand-over."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.config import (
    DEFAULT_CREDENTIAL_SECRET,
    InvalidSetting,
    RetryPolicy,
    Settings,
    WatchPolicy,
    knobs,
)
from gateway.settings_doc import BEGIN, END, render_table, replace_table

CONFIGURATION = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
SECRET = "s" * 32

# The defaults as they were before the settings became one model: a change
# here is a change of behaviour, not of structure.
DEFAULTS = {
    "upstream_url": "http://127.0.0.1:8765",
    "host": "127.0.0.1",
    "port": 8000,
    "keep_alive_timeout": 75,
    "event_loop": "auto",
    "sandbox": False,
    "sandbox_port": 8765,
    "sandbox_processing_delay": 5.0,
    "sandbox_flavor": "strict",
    "sandbox_validate_contract": False,
    "redis_url": None,
    "credential_secret": DEFAULT_CREDENTIAL_SECRET,
    "connect_timeout": 3.0,
    "read_timeout": 15.0,
    "max_connections": 100,
    "max_concurrency_per_operation": 16,
    "breaker_threshold": 5,
    "breaker_ttl": 5.0,
    "cache_ttl": 0.0,
    "max_depth": 12,
    "max_aliases": 30,
    "max_tokens": 800,
    "max_fields": 1000,
    "max_directives": 20,
    "max_variables": 50,
    "max_nesting": 24,
    "max_upstream_calls": 200,
    "max_page_size": 100,
    "max_response_bytes": 16 * 1024 * 1024,
    "max_response_estimate": 64 * 1024 * 1024,
    "max_merge_cost": 2000,
    "max_request_bytes": 1024 * 1024,
    "max_upload_bytes": 512 * 1024 * 1024,
    "max_header_bytes": 16 * 1024,
    "body_timeout": 10.0,
    "ws_max_per_address": 100,
    "ws_max_per_key": 50,
    "ws_init_timeout": 10.0,
    "ws_max_pending_bytes": 4 * 1024 * 1024,
    "ws_max_operations": 8,
    "graphiql": True,
    "introspection": True,
    "metrics_token": None,
    "log_level": "info",
    "log_format": None,
    "drain_delay": 0.0,
    "drain_seconds": 10.0,
    "contract_sample_rate": 1.0,
    "contract_check_interval": 10.0,
    "refused_key_ttl": 5.0,
    "rate_limit_calls_per_second": 0.0,
    "rate_limit_burst": 100.0,
    "trusted_documents": None,
    "trusted_documents_only": False,
    "traces_exporter": None,
    "metrics_multiproc_dir": None,
    "workers": 1,
    "ws_keep_alive_interval": 15.0,
    "cors_origins": (),
    "apq_cache_size": 1000,
    "apq_cache_bytes": 4 * 2**20,
    "max_query_chars": 32 * 1024,
    "max_cached_query_chars": 16 * 1024,
    "document_cache_bytes": 32 * 2**20,
}
RETRY_DEFAULTS = {
    "attempts": 5,
    "base_delay": 0.1,
    "max_delay": 1.0,
    "total_budget": 5.0,
    "budget_ratio": 0.5,
    "budget_capacity": 50.0,
    "budget_floor_per_second": 1.0,
}
WATCH_DEFAULTS = {
    "start": 1.0,
    "factor": 1.5,
    "cap": 10.0,
    "lease_ttl": 10.0,
    "state_ttl": 1.0,
    "max_per_credential": 200,
    "max_subscriptions_per_credential": 1000,
    "max_per_connection": 100,
    "max_ids_per_subscription": 50,
}


def refusal(env: dict[str, str], **flags: object) -> str:
    with pytest.raises(InvalidSetting) as caught:
        Settings.from_env(env, **flags)
    return str(caught.value)


def test_defaults_are_unchanged() -> None:
    settings = Settings()
    assert {name: getattr(settings, name) for name in DEFAULTS} == DEFAULTS
    assert set(Settings.model_fields) == {*DEFAULTS, "retry", "watch"}
    assert settings.retry.model_dump() == RETRY_DEFAULTS
    assert settings.watch.model_dump() == WATCH_DEFAULTS
    assert Settings.from_env({}) == settings


def test_keywords_never_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_MAX_DEPTH", "3")
    assert Settings().max_depth == 12
    assert Settings.from_env().max_depth == 3


def test_every_variable_is_read_with_its_type() -> None:
    settings = Settings.from_env(
        {
            "GATEWAY_PORT": "9000",
            "GATEWAY_GRAPHIQL": "off",
            "GATEWAY_SANDBOX": "YES",
            "GATEWAY_INTROSPECTION": " 0 ",
            "GATEWAY_CONTRACT_SAMPLE_RATE": "0.25",
            "GATEWAY_CORS_ORIGINS": "https://a.example, http://localhost:*,",
            "GATEWAY_REDIS_URL": "",
            "GATEWAY_WATCH_START": "0.2",
            "GATEWAY_WATCH_MAX_PER_CREDENTIAL": "7",
            "GATEWAY_RETRY_ATTEMPTS": "2",
            "GATEWAY_RETRY_BUDGET_RATIO": "0.1",
            "OTEL_TRACES_EXPORTER": "console",
            "PROMETHEUS_MULTIPROC_DIR": "/tmp/metrics",
        }
    )
    assert settings.port == 9000
    assert settings.graphiql is False and settings.sandbox is True
    assert settings.introspection is False
    assert settings.contract_sample_rate == 0.25
    assert settings.cors_origins == ("https://a.example", "http://localhost:*")
    assert settings.redis_url is None
    assert settings.watch == WatchPolicy(start=0.2, max_per_credential=7)
    assert settings.retry == RetryPolicy(attempts=2, budget_ratio=0.1)
    assert settings.traces_exporter == "console"
    assert settings.metrics_multiproc_dir == "/tmp/metrics"


def test_variables_of_other_tools_and_unknown_parts_are_not_settings() -> None:
    settings = Settings.from_env(
        {
            # Read from OTEL_TRACES_EXPORTER only, as before.
            "GATEWAY_TRACES_EXPORTER": "console",
            "GATEWAY_WATCH": "anything",
            "GATEWAY_WATCH_UNKNOWN": "1",
            "GATEWAY_WORKER_SETTINGS": "{}",
            "GATEWAY_UPSTREAMS": "server gateway:8000;",
        }
    )
    assert settings == Settings()


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("GATEWAY_GRAPHIQL", "enabled", "a boolean (true/false, 1/0, yes/no or on/off)"),
        ("GATEWAY_SANDBOX", "t", "a boolean"),
        ("GATEWAY_GRAPHIQL", "", "a boolean"),
        ("GATEWAY_PORT", "abc", "an integer"),
        ("GATEWAY_PORT", "80.5", "an integer"),
        ("GATEWAY_PORT", "70000", "an integer <= 65535"),
        ("GATEWAY_WATCH_MAX_PER_CREDENTIAL", "1.5", "an integer"),
        ("GATEWAY_WATCH_MAX_PER_CONNECTION", "1.5", "an integer"),
        ("GATEWAY_MAX_DEPTH", "1.5", "an integer"),
        ("GATEWAY_RETRY_ATTEMPTS", "0", "an integer >= 1"),
        ("GATEWAY_READ_TIMEOUT", "soon", "a number"),
        ("GATEWAY_READ_TIMEOUT", "nan", "a number"),
        ("GATEWAY_CONTRACT_SAMPLE_RATE", "2", "a number <= 1"),
        ("GATEWAY_DRAIN_DELAY", "-1", "a number >= 0"),
    ],
)
def test_a_value_that_does_not_parse_is_refused_naming_the_variable(
    variable: str, value: str, expected: str
) -> None:
    message = refusal({variable: value})
    assert message.startswith(f"{variable}: expected {expected}")
    assert message.endswith(f"got {value!r}")


def test_words_are_refused_naming_the_variable() -> None:
    assert refusal({"GATEWAY_LOG_LEVEL": "verbose"}).startswith(
        "GATEWAY_LOG_LEVEL: expected one of debug, info, warning"
    )
    assert refusal({"GATEWAY_LOG_FORMAT": "yaml"}).startswith(
        "GATEWAY_LOG_FORMAT: expected json or text"
    )


def test_every_bad_value_is_named_at_once() -> None:
    message = refusal({"GATEWAY_PORT": "abc", "GATEWAY_GRAPHIQL": "enabled"})
    assert "GATEWAY_PORT: expected an integer" in message
    assert "GATEWAY_GRAPHIQL: expected a boolean" in message


def test_a_bad_flag_is_named_as_the_flag_and_wins_over_the_variable() -> None:
    assert refusal({"GATEWAY_PORT": "9000"}, port="abc").startswith(
        "--port: expected an integer, got 'abc'"
    )
    settings = Settings.from_env(
        {"GATEWAY_PORT": "abc", "GATEWAY_CORS_ORIGINS": "https://env.example"},
        port="9001",
        cors_origins="https://flag.example,http://localhost:*",
        host=None,
    )
    assert settings.port == 9001
    assert settings.cors_origins == ("https://flag.example", "http://localhost:*")
    assert settings.host == "127.0.0.1"


def test_keywords_are_checked_too() -> None:
    with pytest.raises(ValueError):
        Settings(max_depth=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Settings(graphiql="enabled")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        WatchPolicy(unknown=1)  # type: ignore[call-arg]


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(ValueError):
        settings.port = 1  # type: ignore[misc]
    with pytest.raises(ValueError):
        settings.retry.attempts = 1  # type: ignore[misc]


@pytest.mark.parametrize("secret", [DEFAULT_CREDENTIAL_SECRET, "short-secret"])
def test_redis_needs_a_real_secret(secret: str) -> None:
    env = {"GATEWAY_REDIS_URL": "redis://r:6379/0", "GATEWAY_CREDENTIAL_SECRET": secret}
    assert refusal(env).startswith("GATEWAY_CREDENTIAL_SECRET must be set, to a random value")
    with pytest.raises(ValueError, match="GATEWAY_CREDENTIAL_SECRET must be set"):
        Settings(redis_url="redis://r:6379/0", credential_secret=secret)
    assert Settings.from_env({**env, "GATEWAY_CREDENTIAL_SECRET": SECRET}).redis_url


def test_several_workers_need_redis_and_no_sandbox() -> None:
    assert refusal({}, workers="2").startswith("--workers 2 needs --redis-url (GATEWAY_REDIS_URL)")
    redis = {"GATEWAY_REDIS_URL": "redis://r:6379/0", "GATEWAY_CREDENTIAL_SECRET": SECRET}
    assert refusal(redis, workers="2", sandbox=True).startswith(
        "--workers > 1 does not run the sandbox in-process"
    )
    assert Settings.from_env(redis, workers="2").workers == 2


def test_the_secret_is_never_echoed() -> None:
    env = {
        "GATEWAY_REDIS_URL": "redis://:hunter2@r:6379/0",
        "GATEWAY_CREDENTIAL_SECRET": "too-short-to-use",
        "GATEWAY_METRICS_TOKEN": "metrics-token-value",
        "GATEWAY_PORT": "abc",
    }
    message = refusal(env)
    shown = repr(
        Settings.from_env({**env, "GATEWAY_PORT": "1", "GATEWAY_CREDENTIAL_SECRET": SECRET})
    )
    for value in ("hunter2", "too-short-to-use", "metrics-token-value", SECRET):
        assert value not in message
        assert value not in shown


def test_settings_survive_the_hand_over_to_workers() -> None:
    settings = Settings.from_env(
        {
            "GATEWAY_REDIS_URL": "redis://r:6379/0",
            "GATEWAY_CREDENTIAL_SECRET": SECRET,
            "GATEWAY_WORKERS": "2",
            "GATEWAY_WATCH_MAX_PER_CREDENTIAL": "3",
            "GATEWAY_RETRY_TOTAL_BUDGET": "1.5",
            "OTEL_TRACES_EXPORTER": "console",
            "GATEWAY_CORS_ORIGINS": "https://a.example",
        }
    )
    text = settings.to_json()
    assert json.loads(text)["traces_exporter"] == "console"
    assert Settings.from_json(text) == settings


def test_every_knob_has_a_description_and_a_distinct_variable() -> None:
    everything = list(knobs())
    assert all(k.description for k in everything)
    variables = [k.variable for k in everything]
    assert len(variables) == len(set(variables))
    assert "GATEWAY_RETRY_ATTEMPTS" in variables and "GATEWAY_WATCH_STATE_TTL" in variables
    flags = {k.flag: k.variable for k in everything if k.flag}
    assert flags["--flavor"] == "GATEWAY_SANDBOX_FLAVOR"
    assert flags["--port"] == "GATEWAY_PORT"


def test_documented_settings_table_is_the_models() -> None:
    text = CONFIGURATION.read_text()
    assert BEGIN in text and END in text
    assert replace_table(text) == text, "docs/configuration.md's table is stale: make settings-doc"
    table = text.split(BEGIN, 1)[1].split(END, 1)[0]
    for knob in knobs():
        assert f"`{knob.variable}`" in table


def test_the_table_has_one_row_per_setting() -> None:
    rows = render_table().splitlines()[2:]
    assert len(rows) == len(list(knobs()))
    assert "| `--port` | `GATEWAY_PORT` | `8000` | port to listen on |" in rows
    assert any(row.startswith("|  | `GATEWAY_GRAPHIQL` | on |") for row in rows)


def test_replace_table_needs_the_markers() -> None:
    with pytest.raises(ValueError, match="markers"):
        replace_table("no table here")


def test_default_gives_each_settings_default_even_from_a_factory() -> None:
    from gateway.config import default

    settings = Settings()
    for name in Settings.model_fields:
        assert default(name) == getattr(settings, name), name
