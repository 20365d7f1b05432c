"""The `/__sandbox__/` control surface: counters, knobs, failure injection, video state.

Not part of the upstream contract and not authenticated: it exists so tests and
benchmarks can observe the calls the gateway makes and steer the sandbox.

    GET  /__sandbox__/stats                     counters (see RequestStats.snapshot)
    POST /__sandbox__/reset-stats
    POST /__sandbox__/reset-sessions            back to the seeded sessions
    GET  /__sandbox__/config                    current knobs and pending failures
    POST /__sandbox__/config                    {latency_ms, route_latency_ms,
                                                 processing_delay_s, export_frames,
                                                 fail_next, fail_rate, gate, deviations,
                                                 wrong_type, session_cookies}
                                                (route_latency_ms: {path part: ms}, more
                                                 latency where the path contains it)
                                                (fail_next: {status, count, path_contains,
                                                 method, garbage, retry_after, message,
                                                 error_code})
    GET  /__sandbox__/sessions/{id}             owner, activity, video_status
    POST /__sandbox__/sessions/{id}/ready       (also /failed, /processing)
    GET  /__sandbox__/contract                  answers checked, violations since the
                                                last read (with validate_contract on:
                                                see gateway.sandbox.validation)
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from gateway.sandbox.data import VideoState
from gateway.sandbox.responses import ORJSONResponse, error_response
from gateway.sandbox.state import FailureRule, RandomFailure, SandboxState
from gateway.sandbox.validation import INJECTED_HEADER

PREFIX = "/__sandbox__"

_FORCEABLE = {
    "ready": VideoState.READY,
    "failed": VideoState.FAILED,
    "processing": VideoState.PROCESSING,
}

_FAILURE_MESSAGES = {
    503: "Service temporarily unavailable",
    500: "An unexpected error occurred",
    429: "Too many requests",
}


class ConfigError(ValueError):
    pass


def failure_response(rule: FailureRule) -> Response:
    # Marked, so that contract validation knows a test asked for it.
    injected = {INJECTED_HEADER: "fail_next"}
    if rule.retry_after is not None:
        injected["Retry-After"] = str(rule.retry_after)
    if rule.garbage:
        # A proxy's error page, or a half-deployed upstream: not JSON at all.
        return HTMLResponse("<html>oops</html>", status_code=rule.status, headers=injected)
    message = rule.message or _FAILURE_MESSAGES.get(rule.status) or HTTPStatus(rule.status).phrase
    return error_response(rule.status, message, rule.error_code, headers=injected)


def with_wrong_type(response: Response, name: str) -> Response:
    """``response`` with every value of the property ``name`` of the wrong JSON
    type (a number becomes a string, anything else a number): an upstream
    that no longer matches its contract."""
    if response.status_code != 200 or response.media_type != "application/json":
        return response

    def corrupt(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: (_wrong(v) if k == name else corrupt(v)) for k, v in node.items()}
        if isinstance(node, list):
            return [corrupt(item) for item in node]
        return node

    body = corrupt(orjson.loads(bytes(response.body)))
    # Broken on purpose, at a test's request: not the sandbox's own answer.
    return ORJSONResponse(
        body, status_code=response.status_code, headers={INJECTED_HEADER: "wrong_type"}
    )


def _wrong(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return 12345


def _number(payload: dict[str, Any], name: str) -> float:
    value = payload[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"{name} must be a non-negative number")
    return float(value)


def _route_latency(spec: object) -> dict[str, float]:
    """``{"/export/": 1500}``: a path part (a substring of the path) and its latency."""
    if not isinstance(spec, dict) or not all(isinstance(part, str) and part for part in spec):
        raise ConfigError("route_latency_ms must map path parts to milliseconds")
    return {part: _number(spec, part) for part in spec}


def _int(spec: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = spec.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{name} must be an integer in [{low}, {high}]")
    return value


def _failure_rule(spec: object) -> FailureRule:
    if not isinstance(spec, dict):
        raise ConfigError("fail_next must be an object, a list of objects, or null")
    garbage = spec.get("garbage", False)
    if not isinstance(garbage, bool):
        raise ConfigError("garbage must be a boolean")
    path_contains = spec.get("path_contains", "")
    method = spec.get("method")
    message, error_code = spec.get("message"), spec.get("error_code")
    if not isinstance(path_contains, str) or not all(
        v is None or isinstance(v, str) for v in (method, message, error_code)
    ):
        raise ConfigError("path_contains, method, message and error_code must be strings")
    return FailureRule(
        remaining=_int(spec, "count", 1, 1, 1_000_000),
        status=_int(spec, "status", 200 if garbage else 503, 200, 599),
        path_contains=path_contains,
        method=method.upper() if method else None,
        garbage=garbage,
        retry_after=_int(spec, "retry_after", 0, 0, 3600) if "retry_after" in spec else None,
        message=message,
        error_code=error_code,
    )


def _random_failure(spec: object) -> RandomFailure:
    """``{"rate": 0.3, "status"?: 503, "path_contains"?: "", "seed"?: 0}``."""
    if not isinstance(spec, dict):
        raise ConfigError("fail_rate must be an object or null")
    rate = spec.get("rate")
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
        raise ConfigError("rate must be a number in [0, 1]")
    path_contains = spec.get("path_contains", "")
    if not isinstance(path_contains, str):
        raise ConfigError("path_contains must be a string")
    return RandomFailure(
        rate=float(rate),
        status=_int(spec, "status", 503, 200, 599),
        path_contains=path_contains,
        seed=_int(spec, "seed", 0, 0, 2**31),
    )


def apply_config(state: SandboxState, payload: object) -> None:
    """Validate everything first, so a bad request changes nothing."""
    if not isinstance(payload, dict):
        raise ConfigError("expected a JSON object")
    known = {"latency_ms", "processing_delay_s", "export_frames", "fail_next", "fail_rate"}
    known |= {"gate", "deviations", "wrong_type", "session_cookies", "route_latency_ms"}
    unknown = set(payload) - known
    if unknown:
        raise ConfigError(f"unknown keys: {sorted(unknown)}")
    knobs = state.knobs
    latency = _number(payload, "latency_ms") if "latency_ms" in payload else knobs.latency_ms
    route_latency = knobs.route_latency_ms
    if "route_latency_ms" in payload:
        spec = payload["route_latency_ms"]
        route_latency = {} if spec is None else _route_latency(spec)
    delay = (
        _number(payload, "processing_delay_s")
        if "processing_delay_s" in payload
        else knobs.processing_delay_s
    )
    frames = knobs.export_frames
    if "export_frames" in payload:
        frames = (
            None
            if payload["export_frames"] is None
            else _int(payload, "export_frames", 0, 1, 100_000)
        )
    gate = knobs.gate
    if "gate" in payload:
        gate = None if payload["gate"] is None else _int(payload, "gate", 0, 2, 1000)
    deviations = payload.get("deviations", knobs.deviations)
    if not isinstance(deviations, bool):
        raise ConfigError("deviations must be a boolean")
    session_cookies = payload.get("session_cookies", knobs.session_cookies)
    if not isinstance(session_cookies, bool):
        raise ConfigError("session_cookies must be a boolean")
    wrong_type = payload.get("wrong_type", knobs.wrong_type)
    if wrong_type is not None and not (isinstance(wrong_type, str) and 0 < len(wrong_type) <= 64):
        raise ConfigError("wrong_type must be a property name or null")
    rules: list[FailureRule] | None = None
    if "fail_next" in payload:
        spec = payload["fail_next"]
        specs = [] if spec is None else spec if isinstance(spec, list) else [spec]
        rules = [_failure_rule(s) for s in specs]
    randomly: RandomFailure | None = state.random_failure
    if "fail_rate" in payload:
        spec = payload["fail_rate"]
        randomly = None if spec is None else _random_failure(spec)
    knobs.latency_ms, knobs.processing_delay_s, knobs.export_frames = latency, delay, frames
    knobs.route_latency_ms = route_latency
    state.random_failure = randomly
    knobs.gate, knobs.deviations = gate, deviations
    knobs.wrong_type, knobs.session_cookies = wrong_type, session_cookies
    if rules is not None:
        # A new fail_next replaces the pending ones; null clears them.
        state.failures[:] = rules


def config_snapshot(state: SandboxState) -> dict[str, Any]:
    return {
        "latency_ms": state.knobs.latency_ms,
        "route_latency_ms": state.knobs.route_latency_ms,
        "processing_delay_s": state.knobs.processing_delay_s,
        "export_frames": state.knobs.export_frames,
        "gate": state.knobs.gate,
        "deviations": state.knobs.deviations,
        "session_cookies": state.knobs.session_cookies,
        "fail_next": [rule.describe() for rule in state.failures],
        "fail_rate": state.random_failure.describe() if state.random_failure else None,
        "flavor": state.flavor.name,
        # Shown only while set: a drift test's flavor, not a usual knob.
        **({"wrong_type": state.knobs.wrong_type} if state.knobs.wrong_type else {}),
    }


def control_routes(state: SandboxState) -> list[Route]:
    async def stats(request: Request) -> Response:
        return ORJSONResponse(state.stats.snapshot())

    async def reset_stats(request: Request) -> Response:
        state.stats.reset()
        return ORJSONResponse({"ok": True})

    async def reset_sessions(request: Request) -> Response:
        state.reset_sessions()
        return ORJSONResponse({"ok": True})

    async def get_config(request: Request) -> Response:
        return ORJSONResponse(config_snapshot(state))

    async def set_config(request: Request) -> Response:
        try:
            apply_config(state, orjson.loads(await request.body()))
        except orjson.JSONDecodeError:
            return error_response(400, "Invalid JSON body.")
        except ConfigError as exc:
            return error_response(400, str(exc))
        return ORJSONResponse(config_snapshot(state))

    def session_status(session_id: str) -> dict[str, Any]:
        record = state.sessions[session_id]
        return {
            "session_id": session_id,
            "owner": record.owner,
            "activity": record.activity.value,
            "video_status": state.video_state(session_id).value,
        }

    async def get_session(request: Request) -> Response:
        session_id = request.path_params["session_id"]
        if session_id not in state.sessions:
            return error_response(404, "Session not found")
        return ORJSONResponse(session_status(session_id))

    async def force_state(request: Request) -> Response:
        session_id = request.path_params["session_id"]
        target = _FORCEABLE.get(request.path_params["target"])
        if target is None:
            return error_response(404, "Unknown state (expected ready, failed or processing)")
        if session_id not in state.sessions:
            return error_response(404, "Session not found")
        state.force(session_id, target)
        return ORJSONResponse(session_status(session_id))

    return [
        Route(f"{PREFIX}/stats", stats, methods=["GET"]),
        Route(f"{PREFIX}/reset-stats", reset_stats, methods=["POST"]),
        Route(f"{PREFIX}/reset-sessions", reset_sessions, methods=["POST"]),
        Route(f"{PREFIX}/config", get_config, methods=["GET"]),
        Route(f"{PREFIX}/config", set_config, methods=["POST"]),
        Route(f"{PREFIX}/sessions/{{session_id}}", get_session, methods=["GET"]),
        Route(f"{PREFIX}/sessions/{{session_id}}/{{target}}", force_state, methods=["POST"]),
    ]
