"""The review console (/console), assembled from its page families: sign-in
(`api/console/sign_in.py`), the review queue (`queue_page.py`) and its decisions on many
exports (`queue_forms.py`), the export page and its decisions (`export_page.py`), the broker
loop's forms on it (`broker_forms.py`), review work on it: claim, assign, comments, changes
requested (`review_forms.py`), the invoice preview and artifact downloads (`preview.py`), and the
operator's fleet control (`operations_page.py`), and the live signal that tells a page it
changed (`live.py`).
Pages are rendered on the server; the page script only refreshes them."""

from importlib.resources import files

from fastapi import APIRouter
from starlette.responses import Response

from api.console import (
    broker_forms,
    export_page,
    live,
    operations_page,
    preview,
    queue_forms,
    queue_page,
    review_forms,
    sign_in,
)
from api.console.security import secure
from api.console.signed_in import PREFIX

router = APIRouter(include_in_schema=False)

STATIC = {"console.css": "text/css; charset=utf-8", "console.js": "text/javascript; charset=utf-8"}


@router.get(f"{PREFIX}/static/{{name}}")
async def static(name: str) -> Response:
    """The console's own stylesheet and script."""
    media = STATIC.get(name)
    if media is None:
        return Response("not found", status_code=404, media_type="text/plain")
    content = files("api.console").joinpath("static", name).read_bytes()
    response = Response(content, media_type=media, headers={"Cache-Control": "no-cache"})
    return secure(response)


for family in (
    sign_in,
    queue_page,
    queue_forms,
    export_page,
    broker_forms,
    review_forms,
    preview,
    operations_page,
    live,
):
    router.include_router(family.router)
