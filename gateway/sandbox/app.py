"""Assemble the sandbox: contract routes behind one dispatcher, plus the control surface.

Every contract request goes through the same steps, in the order a real
deployment would apply them: count it, wait the configured latency, answer an
injected failure if one matches (a load balancer fails before auth), check the
API key, then run the endpoint.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Final

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gateway.sandbox.activity_routes import activity_endpoints
from gateway.sandbox.config import SandboxConfig
from gateway.sandbox.control import control_routes, failure_response, with_wrong_type
from gateway.sandbox.data import DEMO_USERS, DemoUser, user_by_key
from gateway.sandbox.endpoints import Call, Endpoint, SessionNotFound
from gateway.sandbox.management_routes import management_endpoints
from gateway.sandbox.responses import error_response
from gateway.sandbox.state import SandboxState
from gateway.sandbox.validation import ContractValidation

# The prose says `API-KEY <key>`, the security scheme says `Bearer`: accept both.
_SCHEMES: Final = frozenset({"api-key", "bearer"})
# Set with the session_cookies knob (state.Knobs).
_SESSION_COOKIE: Final = "sessionid"


def contract_endpoints() -> list[Endpoint]:
    return [*activity_endpoints(), *management_endpoints()]


def authenticate(header: str | None) -> DemoUser | Response:
    if not header or not header.strip():
        return error_response(401, "No token provided.")
    scheme, _, key = header.strip().partition(" ")
    user = user_by_key(key.strip()) if scheme.lower() in _SCHEMES else None
    if user is None:
        return error_response(401, "Unauthorized access", "INVALID_API_KEY")
    return user


def _contract_route(state: SandboxState, path: str, by_method: dict[str, Endpoint]) -> Route:
    async def dispatch(request: Request) -> Response:
        # Starlette answers HEAD through GET routes.
        endpoint = by_method[request.method if request.method != "HEAD" else "GET"]
        session_id = request.path_params.get("session_id")
        state.stats.started(endpoint.key, session_id)
        if "cookie" in request.headers:
            state.stats.with_cookies += 1
        try:
            return await _serve(state, endpoint, request)
        finally:
            state.stats.finished()

    return Route(path, dispatch, methods=list(by_method))


async def _serve(state: SandboxState, endpoint: Endpoint, request: Request) -> Response:
    if state.knobs.gate is not None:
        await state.wait_at_gate()
    if state.knobs.latency_ms > 0:
        await asyncio.sleep(state.knobs.latency_ms / 1000)
    path = request.url.path
    for part, latency_ms in state.knobs.route_latency_ms.items():
        if part in path:
            await asyncio.sleep(latency_ms / 1000)
            break
    rule = state.take_failure(request.method, request.url.path)
    if rule is not None:
        return failure_response(rule)
    user: DemoUser | Response | None = None
    if state.knobs.session_cookies:
        user = _session_user(request.cookies.get(_SESSION_COOKIE))
    if user is None:
        user = authenticate(request.headers.get("authorization"))
    if isinstance(user, Response):
        return user
    if state.flavor.strict_media:
        refused = await _check_media(endpoint, request)
        if refused is not None:
            return refused
    try:
        response = await endpoint.handler(Call(request, state, user))
    except SessionNotFound as exc:
        return exc.response()
    if state.knobs.wrong_type is not None:
        response = with_wrong_type(response, state.knobs.wrong_type)
    if state.knobs.session_cookies:
        response.set_cookie(_SESSION_COOKIE, f"session-{user.user_id}", httponly=True)
    return response


def _session_user(cookie: str | None) -> DemoUser | None:
    """The user a `sessionid` cookie (as this sandbox sets them) belongs to."""
    if not cookie:
        return None
    return next((u for u in DEMO_USERS if cookie == f"session-{u.user_id}"), None)


async def _check_media(endpoint: Endpoint, request: Request) -> Response | None:
    """415 for a body that doesn't declare the endpoint's media type, as Django
    REST Framework answers (it parses bodies by their Content-Type). A request
    without a body needs none; an upload is judged by its header alone, so that
    its body is never read twice."""
    declared = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if declared in endpoint.media:
        return None
    if "application/json" in endpoint.media and not (await request.body()).strip():
        return None
    return error_response(415, f'Unsupported media type "{declared}" in request.')


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, exc.detail)
    return error_response(exc.status_code, message, headers=exc.headers)


def create_sandbox_app(
    config: SandboxConfig | None = None, *, clock: Callable[[], float] = time.monotonic
) -> Starlette:
    """A new sandbox upstream with its own state; `clock` drives simulated processing."""
    state = SandboxState(config or SandboxConfig(), clock)
    by_path: dict[str, dict[str, Endpoint]] = {}
    for endpoint in contract_endpoints():
        for path in endpoint.served_paths:
            by_path.setdefault(path, {})[endpoint.method] = endpoint
    routes: list[BaseRoute] = [
        _contract_route(state, path, methods) for path, methods in by_path.items()
    ]
    routes.extend(control_routes(state))
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
    # A path without its slash is a 404, not a redirect: the gateway must call
    # the contract's exact paths, and this catches it when it does not.
    app.router.redirect_slashes = False
    app.state.sandbox = state
    if state.config.validate_contract:
        app.add_middleware(ContractValidation)
    return app
