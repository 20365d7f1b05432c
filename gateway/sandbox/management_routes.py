"""`/session-management/...` endpoints and the three upload endpoints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from starlette.responses import Response

from gateway.sandbox import bodies
from gateway.sandbox.data import EXERCISES, Activity, SessionRecord, VideoState, date_dmy, time_12h
from gateway.sandbox.endpoints import Call, Endpoint, Handler
from gateway.sandbox.responses import ORJSONResponse, error_response
from gateway.sandbox.uploads import UploadFormError, read_upload_form

SESSIONS = "/session-management/sessions/"
SESSION = "/session-management/sessions/{session_id}"
ANALYZED_VIDEO = "/session-management/sessions/{session_id}/analyzed-video/"

DEFAULT_LIMIT = 10
_FILTERS = ("activity", "start_date", "end_date", "title", "user_id")

_VIDEO_FAILED = ("Video could not be processed", "VIDEO_PROCESSING_FAILED")
# As Django REST Framework's default parsers take a form: either encoding.
_MULTIPART = ("multipart/form-data", "application/x-www-form-urlencoded")


# --- listing -----------------------------------------------------------------


async def _list_sessions(call: Call) -> Response:
    records = call.state.sessions_of(call.user)
    if not records:
        return error_response(404, "No sessions found for this user.")
    return ORJSONResponse({"sessions": _entries(call, records)})


def _entries(call: Call, records: list[SessionRecord]) -> dict[str, Any]:
    shape = call.state.flavor.shape_url
    return {r.session_id: shape(bodies.listing_entry(call.state.view(r))) for r in records}


def _parse_day(value: str) -> datetime:
    return datetime.strptime(value, "%d/%m/%Y")


async def _filter_sessions(call: Call) -> Response:
    query = call.request.query_params
    try:
        limit = int(query.get("limit", DEFAULT_LIMIT))
    except ValueError:
        return error_response(400, "Invalid limit (expected a positive integer).")
    if limit < 1:
        return error_response(400, "Invalid limit (expected a positive integer).")
    try:
        start = _parse_day(query["start_date"]) if query.get("start_date") else None
        end = _parse_day(query["end_date"]) + timedelta(days=1) if query.get("end_date") else None
    except ValueError:
        return error_response(400, "Invalid date format (expected dd/mm/yyyy).")

    records = call.state.sessions_of(call.user)
    activity, title, user_id = query.get("activity"), query.get("title"), query.get("user_id")
    if activity:
        records = [r for r in records if r.activity.value == activity]
    if title:
        records = [r for r in records if title.casefold() in r.title.casefold()]
    if user_id:
        records = [r for r in records if call.user.user_id == user_id]
    if start is not None:
        records = [r for r in records if r.created_at >= start]
    if end is not None:
        records = [r for r in records if r.created_at < end]
    if not records:
        return error_response(404, "No sessions found for the given criteria.")

    # As documented: the cursors apply only when no filter is set.
    if any(query.get(name) for name in _FILTERS):
        page = records[:limit]
    else:
        ids = [r.session_id for r in records]
        after, before = query.get("start_after_id"), query.get("end_before_id")
        if (after and after not in ids) or (before and before not in ids):
            return error_response(400, "Invalid pagination cursor.")
        low = ids.index(after) + 1 if after else 0
        high = ids.index(before) if before else len(ids)
        window = records[low:high]
        page = window[-limit:] if before and not after else window[:limit]
    return ORJSONResponse(
        {
            "query_count": len(records),
            "sessions": _entries(call, page),
            "first_doc_id": page[0].session_id if page else None,
            "last_doc_id": page[-1].session_id if page else None,
        }
    )


# --- one session -------------------------------------------------------------


def _own(call: Call) -> SessionRecord | None:
    return call.state.find(call.user, call.session_id)


def _not_found(call: Call) -> Response:
    return error_response(404, f"Session {call.session_id} not found")


async def _update_session(call: Call) -> Response:
    if _own(call) is None:
        return _not_found(call)
    try:
        payload: Any = orjson.loads(await call.request.body())
    except orjson.JSONDecodeError:
        return error_response(400, "Invalid JSON body.")
    if not isinstance(payload, dict):
        return error_response(400, "Invalid JSON body.")
    title, created = payload.get("title"), payload.get("created_at")
    if title is None and created is None:
        return error_response(400, "Nothing to update (expected title or created_at).")
    if title is not None and not isinstance(title, str):
        return error_response(400, "Invalid title.")
    moment: datetime | None = None
    if created is not None:
        try:
            moment = datetime.fromisoformat(str(created)).replace(tzinfo=None)
        except ValueError:
            return error_response(400, "Invalid created_at format (expected YYYY-MM-DD HH:MM:SS).")
    call.state.update(call.session_id, title=title, created_at=moment)
    return ORJSONResponse({"success": f"{call.session_id} was successfully updated"})


async def _delete_session(call: Call) -> Response:
    if _own(call) is None:
        return _not_found(call)
    call.state.delete(call.session_id)
    return ORJSONResponse({"success": f"{call.session_id} was successfully deleted"})


# --- analyzed video ----------------------------------------------------------


async def _get_analyzed_video(call: Call) -> Response:
    call.record(None, "Session data not found")
    state = call.state.video_state(call.session_id)
    if state is VideoState.FAILED:
        return error_response(422, *_VIDEO_FAILED)
    if state is VideoState.READY:
        return ORJSONResponse({"analyzed_video_url": bodies.analyzed_url_for(call.session_id)})
    # The contract: "attempts to create it if it does not exist".
    call.state.start_processing(call.session_id)
    return _flavored(*call.state.flavor.not_ready_body())


async def _post_analyzed_video(call: Call) -> Response:
    call.record(None, "Session data not found")
    raw = await call.request.body()
    if raw.strip():
        try:
            orjson.loads(raw)
        except orjson.JSONDecodeError:
            return error_response(400, "Invalid JSON body.")
    state = call.state.video_state(call.session_id)
    if state is VideoState.READY:
        return error_response(400, "Video already analyzed")
    if state is VideoState.FAILED:
        return error_response(422, *_VIDEO_FAILED)
    call.state.start_processing(call.session_id)
    return _flavored(*call.state.flavor.requested_body())


def _flavored(status: int, body: Any) -> Response:
    """A not-ready answer as the flavor gives it; ``None`` is an empty body."""
    if body is None:
        return Response(status_code=status)
    return ORJSONResponse(body, status_code=status)


# --- uploads -----------------------------------------------------------------


def _optional_float(fields: dict[str, str], name: str) -> float | None:
    raw = fields.get(name, "").strip()
    return float(raw) if raw else None


def _upload(activity: Activity) -> Handler:
    async def handler(call: Call) -> Response:
        try:
            form = await read_upload_form(call.request)
        except UploadFormError:
            return error_response(400, "Invalid form data.")
        if "video" in form.file_sizes:
            size = form.file_sizes["video"]
        elif form.fields.get("video"):
            size = len(form.fields["video"].encode())
        else:
            return error_response(400, "No video file was provided")
        fields = form.fields
        exercise = fields.get("exercise_name")
        if activity is Activity.WEIGHTLIFTING and exercise not in EXERCISES:
            return error_response(
                400, f"Invalid exercise_name (expected one of {', '.join(EXERCISES)})."
            )
        try:
            barbell = _optional_float(fields, "barbell_mass")
            incline = _optional_float(fields, "incline_degree")
        except ValueError:
            return error_response(400, "Invalid numeric field.")
        now = datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0)
        title = fields.get("session_name") or f"{activity.value} {date_dmy(now)} {time_12h(now)}"
        record = call.state.upload(
            call.user,
            activity,
            title,
            video_size=size,
            now=now,
            exercise=exercise if activity is Activity.WEIGHTLIFTING else None,
            barbell_mass=(barbell or 100.0) if activity is Activity.WEIGHTLIFTING else None,
            incline_degree=incline if activity is not Activity.WEIGHTLIFTING else None,
        )
        return ORJSONResponse({"session_id": record.session_id, "title": record.title})

    return handler


def management_endpoints() -> list[Endpoint]:
    slashed = (SESSION, SESSION + "/")
    return [
        Endpoint("GET", SESSIONS, _list_sessions),
        Endpoint("GET", SESSIONS + "filter/", _filter_sessions),
        Endpoint("GET", ANALYZED_VIDEO, _get_analyzed_video),
        Endpoint("POST", ANALYZED_VIDEO, _post_analyzed_video),
        # The contract spells this one path without its trailing slash.
        Endpoint("PUT", SESSION, _update_session, paths=slashed),
        Endpoint("DELETE", SESSION, _delete_session, paths=slashed),
        Endpoint("POST", "/jumping/sessions/", _upload(Activity.JUMPING), media=_MULTIPART),
        Endpoint("POST", "/running/sessions/", _upload(Activity.RUNNING), media=_MULTIPART),
        Endpoint(
            "POST", "/weightlifting/sessions/", _upload(Activity.WEIGHTLIFTING), media=_MULTIPART
        ),
    ]
