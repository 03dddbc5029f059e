"""The console's form bodies, read strictly: `application/x-www-form-urlencoded` for every form,
and `multipart/form-data` for the one form that carries files (a broker answer's documents)."""

from dataclasses import dataclass
from urllib.parse import parse_qs

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from services.models.broker import MAX_DOCUMENT_BYTES

FORM_MEDIA = "application/x-www-form-urlencoded"
MULTIPART_MEDIA = "multipart/form-data"
MAX_FORM_BYTES = 64 * 1024
MAX_FIELDS = 20
MAX_FILES = 10
# a file is read one byte past the largest document, so that the service sees one that is too
# large and says so; the whole body is bounded before it is read (the API's gateway bounds a
# body sent without Content-Length while it buffers it)
MAX_FILE_BYTES = MAX_DOCUMENT_BYTES
MAX_UPLOAD_BYTES = MAX_FILES * MAX_FILE_BYTES + MAX_FORM_BYTES


class BadForm(Exception):
    """The body is not a console form."""


@dataclass(frozen=True)
class Upload:
    """A file sent with a form: its name (without a path), its declared type and its bytes."""

    filename: str
    content_type: str
    content: bytes


def _media(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _no_nul(form: dict[str, str]) -> dict[str, str]:
    if any("\x00" in v for v in form.values()):
        raise BadForm("The form holds a NUL character.")
    return form


async def read_form(
    request: Request, *, max_fields: int = MAX_FIELDS, max_bytes: int = MAX_FORM_BYTES
) -> dict[str, str]:
    """The form's fields (the first value of each); BadForm for another media type, a body over
    64 KiB, more than 20 fields (a form that lists many rows says how many it takes), or text
    that is not UTF-8 or holds NUL."""
    if _media(request) != FORM_MEDIA:
        raise BadForm("Send the form as application/x-www-form-urlencoded.")
    body = await request.body()
    if len(body) > max_bytes:
        raise BadForm("The form is too large.")
    try:
        text = body.decode("ascii")
        fields = parse_qs(
            text,
            keep_blank_values=True,
            strict_parsing=False,
            encoding="utf-8",
            errors="strict",
            max_num_fields=max_fields,
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadForm("The form could not be read.") from exc
    return _no_nul({name: values[0] for name, values in fields.items()})


async def read_form_with_files(
    request: Request, file_field: str
) -> tuple[dict[str, str], list[Upload]]:
    """A form that may carry files in `file_field`: multipart (at most 10 files, 20 fields of
    64 KiB, a body of at most MAX_UPLOAD_BYTES), or urlencoded without files. A file input left
    empty (a part with an empty filename and no content) is no file. BadForm otherwise."""
    media = _media(request)
    if media == FORM_MEDIA:
        return await read_form(request), []
    if media != MULTIPART_MEDIA:
        raise BadForm("Send the form as multipart/form-data or application/x-www-form-urlencoded.")
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_UPLOAD_BYTES):
        raise BadForm("The form is too large.")
    fields: dict[str, str] = {}
    files: list[Upload] = []
    try:
        async with request.form(
            max_files=MAX_FILES, max_fields=MAX_FIELDS, max_part_size=MAX_FORM_BYTES
        ) as form:
            for name, value in form.multi_items():
                if isinstance(value, str):
                    fields.setdefault(name, value)
                    continue
                if name != file_field:
                    raise BadForm(f"The form takes files only in {file_field!r}.")
                upload = await _upload(value)
                if upload is not None:
                    files.append(upload)
    except HTTPException as exc:  # what Starlette makes of a MultiPartException in an app
        raise BadForm(f"The form could not be read: {exc.detail}") from exc
    except MultiPartException as exc:
        raise BadForm(f"The form could not be read: {exc.message}") from exc
    return _no_nul(fields), files


async def _upload(value: UploadFile) -> Upload | None:
    content = await value.read(MAX_FILE_BYTES + 1)
    filename = (value.filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    if not filename and not content:
        return None  # the browser's part for a file input left empty
    media = (value.content_type or "application/octet-stream").split(";", 1)[0]
    return Upload(filename=filename, content_type=media.strip().lower(), content=content)
