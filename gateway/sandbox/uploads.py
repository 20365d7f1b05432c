"""Reading an upload form without keeping the video.

Starlette's form parser spools files to disk; a sandbox only needs to know a
video arrived and how big it was, so the multipart body is parsed as it streams
and file parts are merely counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

# Text fields are titles and numbers; anything larger is not a form we accept.
_MAX_FIELD_BYTES = 64 * 1024


class UploadFormError(Exception):
    pass


@dataclass(slots=True)
class UploadForm:
    fields: dict[str, str] = field(default_factory=dict)
    file_sizes: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class _Part:
    name: str = ""
    is_file: bool = False
    size: int = 0
    value: bytearray = field(default_factory=bytearray)
    header_field: bytearray = field(default_factory=bytearray)
    header_value: bytearray = field(default_factory=bytearray)


async def read_upload_form(request: Request) -> UploadForm:
    content_type, params = parse_options_header(request.headers.get("content-type"))
    if content_type == b"multipart/form-data":
        boundary = params.get(b"boundary")
        if not boundary:
            raise UploadFormError("Missing multipart boundary")
        return await _read_multipart(request, boundary)
    if content_type == b"application/x-www-form-urlencoded":
        # The contract allows it; a "file" then is just a field's text.
        form = await request.form()
        out = UploadForm()
        for key, value in form.items():
            if isinstance(value, str):
                out.fields[key] = value
        return out
    raise UploadFormError("Unsupported content type")


async def _read_multipart(request: Request, boundary: bytes) -> UploadForm:
    form = UploadForm()
    part = _Part()

    def on_part_begin() -> None:
        nonlocal part
        part = _Part()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        part.header_field += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        part.header_value += data[start:end]

    def on_header_end() -> None:
        if part.header_field.lower() == b"content-disposition":
            _, options = parse_options_header(bytes(part.header_value))
            part.name = options.get(b"name", b"").decode("utf-8", "replace")
            part.is_file = b"filename" in options
        part.header_field.clear()
        part.header_value.clear()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        part.size += end - start
        if not part.is_file:
            if part.size > _MAX_FIELD_BYTES:
                raise UploadFormError(f"Field {part.name!r} is too large")
            part.value += data[start:end]

    def on_part_end() -> None:
        if part.is_file:
            form.file_sizes[part.name] = form.file_sizes.get(part.name, 0) + part.size
        else:
            form.fields[part.name] = part.value.decode("utf-8", "replace")

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except FormParserError as exc:
        raise UploadFormError("Malformed multipart body") from exc
    return form
