from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(tags=["console"])

# A placeholder until the staff console is built; it points people at the API they can use today.
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>BSS staff console</title></head>
<body><h1>BSS staff console</h1><p>The console is coming. The API is documented at <a href="/docs">/docs</a>.</p>
</body></html>"""


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def console() -> str:
    return PAGE
