"""The console's form bodies: `application/x-www-form-urlencoded`, read strictly."""

from urllib.parse import parse_qs

from starlette.requests import Request

FORM_MEDIA = "application/x-www-form-urlencoded"
MAX_FORM_BYTES = 64 * 1024
MAX_FIELDS = 20


class BadForm(Exception):
    """The body is not a console form."""


async def read_form(request: Request) -> dict[str, str]:
    """The form's fields (the first value of each); BadForm for another media type, a body over
    64 KiB, more than 20 fields, or text that is not UTF-8 or holds NUL."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != FORM_MEDIA:
        raise BadForm("Send the form as application/x-www-form-urlencoded.")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise BadForm("The form is too large.")
    try:
        text = body.decode("ascii")
        fields = parse_qs(
            text,
            keep_blank_values=True,
            strict_parsing=False,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadForm("The form could not be read.") from exc
    form = {name: values[0] for name, values in fields.items()}
    if any("\x00" in v for v in form.values()):
        raise BadForm("The form holds a NUL character.")
    return form
