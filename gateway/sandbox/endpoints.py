"""What a contract endpoint handler sees, and how handlers are declared."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from gateway.sandbox.bodies import SessionView
from gateway.sandbox.data import Activity, DemoUser, SessionRecord
from gateway.sandbox.responses import error_response
from gateway.sandbox.state import SandboxState


class SessionNotFound(Exception):
    """Raised by handlers; the dispatcher turns it into the endpoint's own 404 body."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def response(self) -> Response:
        return error_response(404, self.message)


@dataclass(frozen=True, slots=True)
class Call:
    """One authenticated contract request."""

    request: Request
    state: SandboxState
    user: DemoUser

    @property
    def session_id(self) -> str:
        return str(self.request.path_params["session_id"])

    def record(self, activity: Activity | None, not_found: str) -> SessionRecord:
        record = self.state.find(self.user, self.session_id, activity)
        if record is None:
            raise SessionNotFound(not_found)
        return record

    def view(self, activity: Activity | None, not_found: str) -> SessionView:
        return self.state.view(self.record(activity, not_found))


Handler = Callable[[Call], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One method on one contract path.

    `template` is the contract's path, and with the method it is the key of the
    request counters. `paths` are the paths actually served: usually just the
    template, but the contract's one slash-less path is served both ways.
    """

    method: str
    template: str
    handler: Handler
    paths: tuple[str, ...] = ()
    # The media types a body may declare under a flavor that enforces them.
    media: tuple[str, ...] = ("application/json",)

    @property
    def served_paths(self) -> tuple[str, ...]:
        return self.paths or (self.template,)

    @property
    def key(self) -> str:
        return f"{self.method} {self.template}"
