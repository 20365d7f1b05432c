"""Creating a session: the upload form, checked before anything is sent, then streamed.

The video arrives as Starlette's ``UploadFile``, whose body is a
``SpooledTemporaryFile`` (in memory up to 1 MB, on disk beyond). Its file
object goes to httpx as-is: httpx's multipart encoder reads it in 64 KB chunks
while it sends, so the gateway never holds a whole video in memory.

Checks raise :class:`~gateway.errors.BadRequest` naming the input field, so a
caller learns which field to fix before any upstream call is made. Field
names are passed in by the schema, which knows how callers spell them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import UploadFile

from gateway.errors import BadRequest, UpstreamBadResponse
from gateway.ids import Activity, validate_session_id
from gateway.loaders import ResourceLoader
from gateway.normalize import json_object
from gateway.upstream.client import UpstreamRequest
from gateway.upstream.endpoints import CREATE_SESSION

__all__ = [
    "EXERCISES",
    "MAX_TITLE_LENGTH",
    "NewSession",
    "check_exercise",
    "check_number",
    "check_title",
    "check_video",
    "create_session",
]

# The contract's enum for `exercise_name`.
EXERCISES = ("snatch", "clean", "clean_and_jerk")
MAX_TITLE_LENGTH = 200


@dataclass(frozen=True, slots=True)
class NewSession:
    """A checked upload form (the file aside)."""

    activity: Activity
    title: str | None = None
    exercise: str | None = None
    barbell_mass: float | None = None
    incline_degrees: float | None = None

    def form(self) -> dict[str, str]:
        """The form's text fields, named as the contract names them."""
        fields: dict[str, str] = {}
        if self.title is not None:
            fields["session_name"] = self.title
        if self.exercise is not None:
            fields["exercise_name"] = self.exercise
        if self.barbell_mass is not None:
            fields["barbell_mass"] = _number_text(self.barbell_mass)
        if self.incline_degrees is not None:
            fields["incline_degree"] = _number_text(self.incline_degrees)
        return fields


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def check_title(title: str | None, field: str) -> str | None:
    """The title stripped; ``None`` lets the upstream choose one."""
    if title is None:
        return None
    title = title.strip()
    if not title:
        raise BadRequest(f"`{field}` must not be blank; leave it out instead.", field=field)
    if len(title) > MAX_TITLE_LENGTH:
        raise BadRequest(f"`{field}` is longer than {MAX_TITLE_LENGTH} characters.", field=field)
    return title


def check_exercise(exercise: str, field: str) -> str:
    value = exercise.strip().lower()
    if value not in EXERCISES:
        raise BadRequest(
            f"`{field}` must be one of {', '.join(EXERCISES)}; got {exercise[:40]!r}.",
            field=field,
        )
    return value


def check_number(
    value: float | None, field: str, *, low: float, high: float, low_open: bool = False
) -> float | None:
    if value is None:
        return None
    too_low = value <= low if low_open else value < low
    if not math.isfinite(value) or too_low or value > high:
        bound = f"more than {low:g}" if low_open else f"at least {low:g}"
        raise BadRequest(f"`{field}` must be {bound} and at most {high:g}.", field=field)
    return value


def check_video(video: Any, field: str, *, max_bytes: int) -> UploadFile:
    """The uploaded file, or ``BadRequest`` when the variable holds no file or a bad one."""
    if not isinstance(video, UploadFile):
        got = "no file" if video is None else f"a {type(video).__name__}, not a file"
        raise BadRequest(
            f"`{field}` got {got}: send the video with the GraphQL multipart request "
            "spec, in a `multipart/form-data` part that the `map` points at "
            f"`variables.{field}`.",
            field=field,
        )
    size = video.size if video.size is not None else _measure(video)
    if size == 0:
        raise BadRequest(f"`{field}` is an empty file.", field=field)
    if size > max_bytes:
        raise BadRequest(
            f"`{field}` is larger than the {max_bytes // (1024 * 1024)} MB the gateway accepts.",
            field=field,
        )
    return video


def _measure(video: UploadFile) -> int:
    position = video.file.tell()
    size = video.file.seek(0, 2)
    video.file.seek(position)
    return size


async def create_session(
    upstream: ResourceLoader, new: NewSession, video: UploadFile
) -> tuple[str, str | None]:
    """Upload the video; the new session's upstream id and title."""
    # An upload creates a session each time: never retried (see the table).
    body = await upstream.call(
        UpstreamRequest.to(
            CREATE_SESSION,
            path_params={"activity": new.activity.path},
            data=new.form(),
            # The file object, not its bytes: httpx streams it in chunks.
            files={
                "video": (
                    video.filename or "video",
                    video.file,
                    video.content_type or "application/octet-stream",
                )
            },
        )
    )
    body = json_object(body, "The upload's answer is not a JSON object.")
    raw_id, title = body.get("session_id"), body.get("title")
    try:
        session_id = validate_session_id(str(raw_id)) if raw_id is not None else None
    except BadRequest:
        session_id = None
    if session_id is None:
        raise UpstreamBadResponse("The upload's answer holds no usable session id.")
    return session_id, title if isinstance(title, str) else new.title
