"""The FastAPI application behind ``hedgekit serve``: pages rendered on the server (Jinja2),
charts drawn by plotly.js served from the installed ``plotly`` package, a JSON API under
``/api/``. Read-only unless ``allow_actions``; see :mod:`hedgekit.web.security` for access."""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from hedgekit._paths import resolve_data_dir
from hedgekit.errors import HedgekitError
from hedgekit.reports import html as look
from hedgekit.web import charts
from hedgekit.web.actions import ACTIONS, Action, ActionUnavailable, default_actions
from hedgekit.web.journal import (
    book_key,
    journal_path,
    read_alerts,
    read_halt,
    read_orders,
    read_state_history,
)
from hedgekit.web.security import SESSION_COOKIE, Guard
from hedgekit.web.status import book_status

__all__ = ["STATUS_TTL_SECONDS", "create_app"]

STATUS_TTL_SECONDS = 2.0  # the plan is recomputed at most this often, whatever the number of clients
WRONG_TOKEN_DELAY_SECONDS = 1.0

PAGES = (("now", "/", "now"), ("history", "/history", "history"),
         ("activity", "/activity", "alerts and orders"), ("plan", "/plan", "plan vs actual"),
         ("reports", "/reports", "backtest reports"))
_OPEN_PATHS = ("/login", "/static/")
_SECURITY_HEADERS = {
    "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline'; "
                               "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                               "frame-ancestors 'none'; form-action 'self'",
    "Cache-Control": "no-store",
}


class _StatusCache:
    """The last status document, its JSON and the pages rendered from it, recomputed at most
    every ``ttl`` seconds. One request recomputes (in a worker thread, so the event loop keeps
    serving); requests arriving meanwhile get the previous document rather than waiting."""

    def __init__(self, compute: Callable[[], dict[str, Any]], ttl: float) -> None:
        self._compute, self._ttl = compute, ttl
        self._lock = asyncio.Lock()
        self._at = -float("inf")
        self._doc: dict[str, Any] | None = None
        self._json = b""
        self.pages: dict[Any, bytes] = {}  # rendered from this document; emptied with it

    async def get(self) -> tuple[dict[str, Any], bytes]:
        if time.monotonic() - self._at >= self._ttl and not (self._lock.locked() and self._doc is not None):
            async with self._lock:
                if time.monotonic() - self._at >= self._ttl:
                    doc = await run_in_threadpool(self._compute)
                    doc = _finite(doc)
                    self._json = json.dumps(doc, allow_nan=False, default=str).encode()
                    self._doc, self.pages, self._at = doc, {}, time.monotonic()
        assert self._doc is not None
        return self._doc, self._json


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinities replaced by None (JSON has no such numbers)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _env() -> Environment:
    env = Environment(loader=PackageLoader("hedgekit.web", "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    env.filters.update(usd=look.fmt_usd, pct=look.fmt_pct, num=look.fmt_num)
    env.globals.update(level=charts.level, colour_of=look.colour_of)
    return env


def create_app(book_path: str | Path, data_dir: str | Path | None = None, allow_actions: bool = False,
               token: str | None = None, *, reports_dir: str | Path | None = None,
               actions: Mapping[str, Action] | None = None,
               status_ttl: float = STATUS_TTL_SECONDS) -> FastAPI:
    """The dashboard of the book at ``book_path``.

    ``data_dir``: where the sync cache, data store and journal live (default: HEDGEKIT_DATA_DIR,
    else the user data dir). ``token``: asked once per browser session on every page (required
    for ``allow_actions``). ``reports_dir``: the folder of backtest HTML reports listed on
    ``/reports`` (default ``<data dir>/reports``). ``actions``: the callables behind the
    rebalance and halt buttons (default: the executor's, or an error saying it is missing).
    """
    book_path = Path(book_path)
    if not book_path.is_file():
        raise HedgekitError(f"book: no such file: {book_path}")
    if allow_actions and not token:
        raise HedgekitError("--allow-actions needs a token: set HEDGEKIT_TOKEN")
    data = resolve_data_dir(data_dir)
    reports = Path(reports_dir) if reports_dir is not None else data / "reports"
    db, book_id = journal_path(data), book_key(book_path)
    guard = Guard(token)
    handlers = dict(actions) if actions is not None else default_actions()
    env = _env()

    def status() -> dict[str, Any]:
        return {**book_status(book_path, data_dir, datetime.now(UTC)),
                "halted": read_halt(db, book_id)}

    cache = _StatusCache(status, status_ttl)

    app = FastAPI(title="hedgekit", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(_AccessMiddleware, guard=guard)

    def render(request: Request, template: str, active: str, when: str | None = None,
               **context: Any) -> bytes:
        csrf = guard.csrf_for(request.cookies.get(SESSION_COOKIE)) if allow_actions else ""
        when = when or datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return env.get_template(template).render(
            pages=PAGES, active=active, book=book_path.name, allow_actions=allow_actions,
            actions=ACTIONS, csrf=csrf, logged_in=guard.required, now=when, **context).encode()

    def page(request: Request, template: str, active: str, **context: Any) -> HTMLResponse:
        return HTMLResponse(render(request, template, active, **context))

    async def status_page(request: Request, template: str, active: str,
                          extra: Callable[[dict[str, Any]], dict[str, Any]]) -> HTMLResponse:
        """A page drawn from the status only: rendered once per status document (and session,
        whose CSRF value it carries), then served from memory."""
        status, _ = await cache.get()
        key = (template, request.cookies.get(SESSION_COOKIE) if allow_actions else None)
        body = cache.pages.get(key)
        if body is None:
            when = datetime.fromisoformat(status["as_of"]).strftime("%Y-%m-%d %H:%M:%S UTC")
            body = render(request, template, active, when=when, s=status, **extra(status))
            if len(cache.pages) < 256:
                cache.pages[key] = body
        return HTMLResponse(body)

    @app.get("/", response_class=HTMLResponse)
    async def now_page(request: Request) -> HTMLResponse:
        return await status_page(request, "now.html", "now", lambda s: {
            "gauges": [charts.liquidation_gauge(leg) for leg in s.get("legs", [])],
            "exposure_chart": charts.exposure_chart(s.get("exposures", []))})

    @app.get("/history", response_class=HTMLResponse)
    async def history_page(request: Request) -> HTMLResponse:
        rows = await run_in_threadpool(read_state_history, db, book_id)
        status, _ = await cache.get()
        band = status.get("summary", {}).get("band", 0.05)
        return page(request, "history.html", "history", rows=rows, db=db,
                    charts=charts.history_charts(rows, band) if rows else [])

    @app.get("/activity", response_class=HTMLResponse)
    def activity_page(request: Request) -> HTMLResponse:
        orders = read_orders(db, book_id)
        columns = [k for k in dict.fromkeys(k for row in orders for k in row) if k != "book"]
        return page(request, "activity.html", "activity", alerts=read_alerts(db, book_id),
                    orders=orders, order_columns=columns)

    @app.get("/plan", response_class=HTMLResponse)
    async def plan_page(request: Request) -> HTMLResponse:
        return await status_page(request, "plan.html", "plan", lambda s: {
            "chart": charts.plan_vs_actual_chart(s.get("legs", []))})

    @app.get("/reports", response_class=HTMLResponse)
    def reports_page(request: Request) -> HTMLResponse:
        return page(request, "reports.html", "reports", folder=reports, files=_report_files(reports))

    @app.get("/reports/{name}")
    def report_file(name: str) -> Response:
        match = next((f for f in _report_files(reports) if f["name"] == name), None)
        if match is None:
            return HTMLResponse("no such report", status_code=404)
        return FileResponse(reports / match["name"], media_type="text/html")

    @app.get("/api/status")
    async def api_status() -> Response:
        _, body = await cache.get()
        return Response(body, media_type="application/json")

    @app.get("/api/history")
    def api_history() -> dict[str, Any]:
        return {"book": book_path.name, "rows": read_state_history(db, book_id)}

    @app.get("/api/alerts")
    def api_alerts() -> dict[str, Any]:
        return {"book": book_path.name, "alerts": read_alerts(db, book_id)}

    @app.get("/api/orders")
    def api_orders() -> dict[str, Any]:
        return {"book": book_path.name, "orders": read_orders(db, book_id)}

    @app.get("/static/plotly.min.js")
    def plotly_js() -> Response:
        return Response(look.plotly_js(), media_type="application/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/static/hedgekit.css")
    def stylesheet() -> Response:
        return Response(look.STYLE, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request) -> Response:
        if not guard.required:
            return RedirectResponse("/", status_code=303)
        return page(request, "login.html", "", error=None)

    @app.post("/login")
    async def login(request: Request) -> Response:
        form = _form(await request.body())
        if not guard.token_ok(form.get("token")):
            await asyncio.sleep(WRONG_TOKEN_DELAY_SECONDS)  # slows guessing down
            refused = page(request, "login.html", "", error="wrong token")
            refused.status_code = 401
            return refused
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(SESSION_COOKIE, guard.new_session(), httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")
        return response

    @app.post("/logout")
    def logout() -> Response:
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @app.post("/actions/{name}")
    async def action(name: str, request: Request) -> Response:
        if not allow_actions or name not in ACTIONS:
            return HTMLResponse("actions are off: start 'hedgekit serve --allow-actions'", status_code=403)
        form = _form(await request.body())
        if not guard.csrf_ok(request.cookies.get(SESSION_COOKIE), form.get("csrf")):
            return HTMLResponse("missing or wrong CSRF value: reload the page", status_code=403)
        try:
            message = handlers[name](book_path, data)
            ok, code = True, 200
        except ActionUnavailable as exc:
            message, ok, code = str(exc), False, 503
        except HedgekitError as exc:
            message, ok, code = str(exc), False, 400
        response = page(request, "action.html", "", name=name, message=message, ok=ok)
        response.status_code = code
        return response

    return app


class _AccessMiddleware:
    """Plain ASGI (cheaper than an ``@app.middleware`` per request): asks for the token where
    one is set, refuses cross-origin POSTs, adds the security headers to every answer."""

    def __init__(self, app: Any, guard: Guard) -> None:
        self.app, self.guard = app, guard
        self.headers = [(k.lower().encode(), v.encode()) for k, v in _SECURITY_HEADERS.items()]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        path = scope["path"]
        refusal: Response | None = None
        if self.guard.required and not path.startswith(_OPEN_PATHS) and not (
                self.guard.session_ok(request.cookies.get(SESSION_COOKIE))
                or self.guard.token_ok(_bearer(request))):
            refusal = (JSONResponse({"error": "a token is required"}, status_code=401)
                       if path.startswith("/api/") else RedirectResponse("/login", status_code=303))
        elif scope["method"] == "POST" and not _same_origin(request):
            refusal = HTMLResponse("cross-origin request refused", status_code=403)

        async def send_secured(message: Any) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *(h for h in self.headers if h[0] not in present)]
            await send(message)

        await (refusal or self.app)(scope, receive, send_secured)


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    return auth[7:] if auth.lower().startswith("bearer ") else None


def _same_origin(request: Request) -> bool:
    """A POST whose Origin (or Referer) names another host than the one it was sent to is refused."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if source is None:
        return True  # not a browser form: the session or token still decides
    return urlsplit(source).netloc == request.headers.get("host", "")


def _form(body: bytes) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}


def _report_files(folder: Path) -> list[dict[str, Any]]:
    """The backtest HTML reports directly in ``folder``, newest first."""
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".html"]
    files.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return [{"name": p.name, "size": p.stat().st_size,
             "modified": datetime.fromtimestamp(p.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M UTC")}
            for p in files]
