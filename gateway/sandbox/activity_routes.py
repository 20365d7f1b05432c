"""The per-activity endpoints: `/jumping/...`, `/running/...`, `/weightlifting/...`.

404 messages are the ones each path's contract documents, which differ from
path to path; a session of another user or another activity gets the same 404
as an unknown id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from starlette.responses import Response

from gateway.sandbox import bodies, reports
from gateway.sandbox.bodies import Body, SessionView
from gateway.sandbox.data import Activity
from gateway.sandbox.endpoints import Call, Endpoint, Handler, SessionNotFound
from gateway.sandbox.responses import ORJSONResponse, error_response

JUMP = "/jumping/sessions/{session_id}/"
RUN = "/running/sessions/{session_id}/"
LIFT = "/weightlifting/sessions/{session_id}/"


def _view_body(
    activity: Activity, not_found: str, build: Callable[[SessionView], Body], status: int = 200
) -> Handler:
    async def handler(call: Call) -> Response:
        return ORJSONResponse(build(call.view(activity, not_found)), status_code=status)

    return handler


def _details(activity: Activity, not_found: str) -> Handler:
    async def handler(call: Call) -> Response:
        view = call.view(activity, not_found)
        body = bodies.details(view, call.state.frames(view))
        return ORJSONResponse(call.state.flavor.shape_url(body))

    return handler


def _export(activity: Activity, not_found: str) -> Handler:
    async def handler(call: Call) -> Response:
        view = call.view(activity, not_found)
        body = bodies.export(view, call.state.frames(view))
        return ORJSONResponse(call.state.flavor.shape_url(body))

    return handler


async def _running_report_metrics(call: Call) -> Response:
    view = call.view(Activity.RUNNING, "Session not found")
    frames = call.state.frames(view)
    user = view.user
    return ORJSONResponse(
        {
            "metrics": bodies.running_metrics(view),
            "keypoints": frames.keypoints,
            "angles": frames.angles,
            "all_timestamps": frames.timestamps,
            "activity": view.record.activity.value,
            "user_status": "user",
            "user_id": user.user_id,
            "segments": view.record.segments,
            "user_data": {
                "ycom": 0.957,
                "weight": user.weight_kg,
                "age": str(user.age),
                "height": user.height_cm,
                "leg_length": round(user.height_cm * 0.0053, 3),
                "display_name": user.user_name,
                "email": user.email,
                "gender": user.gender,
                "uid": user.user_id,
            },
        }
    )


async def _running_metrics_total(call: Call) -> Response:
    runs = [
        call.state.view(r)
        for r in call.state.sessions_of(call.user)
        if r.activity is Activity.RUNNING
    ]
    if not runs:
        return error_response(404, "Session not found")
    return ORJSONResponse(reports.running_metrics_total(runs))


async def _get_comments(call: Call) -> Response:
    call.record(Activity.RUNNING, "Comments not found")
    comments = call.state.comments.get(call.session_id)
    if not comments:
        return error_response(404, "Comments not found")
    return ORJSONResponse(comments)


async def _update_comments(call: Call) -> Response:
    call.record(Activity.RUNNING, "Session not found")
    try:
        payload: Any = orjson.loads(await call.request.body())
    except orjson.JSONDecodeError:
        return error_response(400, "Error updating comments")
    if not isinstance(payload, dict) or not all(_is_text_pair(v) for v in payload.values()):
        return error_response(400, "Error updating comments")
    call.state.comments.setdefault(call.session_id, {}).update(payload)
    return ORJSONResponse({"message": "Comments updated"})


def _is_text_pair(value: object) -> bool:
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


async def _delete_comments(call: Call) -> Response:
    call.record(Activity.RUNNING, "Session not found")
    call.state.comments.pop(call.session_id, None)
    return ORJSONResponse({"message": "Comments deleted"})


def _jumping() -> list[Endpoint]:
    a, nf = Activity.JUMPING, "Session data not found"
    return [
        Endpoint("GET", JUMP, _details(a, nf)),
        Endpoint("GET", JUMP + "export/", _export(a, nf)),
        Endpoint("POST", JUMP + "jump-analysis/", _view_body(a, nf, reports.jump_analysis)),
        Endpoint("POST", JUMP + "recommendation/", _view_body(a, nf, reports.jump_recommendation)),
        Endpoint("GET", JUMP + "summary/", _view_body(a, nf, reports.jump_summary)),
        Endpoint(
            "POST", JUMP + "summary/", _view_body(a, nf, reports.jump_summary_threads, status=201)
        ),
    ]


def _running() -> list[Endpoint]:
    a = Activity.RUNNING
    return [
        Endpoint("GET", "/running/sessions/metrics/total/", _running_metrics_total),
        Endpoint("GET", RUN, _details(a, "The session does not exist.")),
        Endpoint("GET", RUN + "export/", _export(a, "Session not found")),
        Endpoint(
            "POST",
            RUN + "gait-analysis/",
            _view_body(a, "Session not found", reports.gait_analysis),
        ),
        # The contract's own 404 text for this deprecated path.
        Endpoint(
            "POST",
            RUN + "form-analysis/",
            _view_body(a, "An unexpected error occurred.", reports.form_analysis),
        ),
        Endpoint("GET", RUN + "metrics/", _running_report_metrics),
        Endpoint(
            "POST",
            RUN + "recommendation/",
            _view_body(a, "Session data not found", reports.running_recommendation),
        ),
        Endpoint("GET", RUN + "report-comments/", _get_comments),
        Endpoint("POST", RUN + "report-comments/", _update_comments),
        Endpoint("DELETE", RUN + "report-comments/", _delete_comments),
        Endpoint("POST", RUN + "report/", _view_body(a, "Data not found.", reports.report_images)),
        Endpoint(
            "POST",
            RUN + "summary/",
            _view_body(a, "Session data not found", reports.running_summary),
        ),
    ]


def _weightlifting() -> list[Endpoint]:
    a = Activity.WEIGHTLIFTING
    lift_analysis = _view_body(
        a, "Session not found or images generation failed.", reports.lift_analysis
    )
    return [
        Endpoint("GET", LIFT, _details(a, "Session not found")),
        Endpoint("GET", LIFT + "export/", _export(a, "Session not found")),
        # The retrieval guide documents GET, the OpenAPI file POST: serve both.
        Endpoint("GET", LIFT + "lift-analysis/", lift_analysis),
        Endpoint("POST", LIFT + "lift-analysis/", lift_analysis),
        Endpoint(
            "POST",
            LIFT + "recommendation/",
            _view_body(
                a, "Unable to generate or retrieve session data", reports.lift_recommendation
            ),
        ),
    ]


def activity_endpoints() -> list[Endpoint]:
    return [*_jumping(), *_running(), *_weightlifting()]


__all__ = ["SessionNotFound", "activity_endpoints"]
