"""The three client pages (#20) as static files: /board (care staff), /kiosk (the maker-space desk),
/app (residents), built by the set-up into clients/dist (Vite; no CDN at run time). Each page has
its own Content-Security-Policy: only its own scripts and styles, only this origin to talk to."""

import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response

DIST = Path(__file__).resolve().parents[1] / "clients" / "dist"
PAGES = ("board", "kiosk", "app")

_COMMON = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
# The board draws its charts and the kiosk its QR code as inline SVG: images only the page's icon.
# The resident page also shows the photos of a report being written and of its cases (blob:).
POLICIES = {
    "/board": f"{_COMMON}; img-src 'self'",
    "/kiosk": f"{_COMMON}; img-src 'self'",
    "/app": f"{_COMMON}; img-src 'self' blob:",
}
# Vite's output names: a name, a content hash, a suffix. Nothing else is served from the folder.
ASSET = re.compile(r"[A-Za-z0-9_-]+-[A-Za-z0-9_-]{8}\.(js|css|svg|woff2)")

NOT_BUILT = (
    "<!doctype html><html lang='zh-CN'><meta charset='utf-8'><title>邻里</title>"
    "<p>页面尚未构建：请运行 ./scripts/dev（或 scripts/setup.sh 的 client_pages）。</p></html>"
)


def policy_for(path: str) -> str | None:
    return POLICIES.get(path)


async def page(request: Request) -> Response:
    name = request.url.path.strip("/")
    html = DIST / f"{name}.html"
    if not html.is_file():
        return HTMLResponse(NOT_BUILT, status_code=503)
    # The page itself is asked again each time (a new build takes effect at once); its assets,
    # named by their content, are kept for a year.
    return FileResponse(html, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-cache"})


async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    path = DIST / "assets" / name
    if not ASSET.fullmatch(name) or not path.is_file():
        return PlainTextResponse("Not Found", status_code=404)
    return FileResponse(path, headers={"Cache-Control": "public, max-age=31536000, immutable"})
