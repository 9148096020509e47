"""The app factory: settings validated once here, routers assembled, errors mapped."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles

from puente import __version__, domains
from puente.activity import Board, board_path
from puente.errors import PuenteError
from puente.node import Node, open_node
from puente.sharing import api as taxii_api
from puente.web import problems
from puente.web.deps import LANG_COOKIE, text_only
from puente.web.headers import ResponseHeaders
from puente.web.limits import BodyLimit
from puente.web.priority import PeopleFirst

TAXII_PREFIX = "/taxii2/"


def create_app(
    node: Node | None = None, data_dir: Path | None = None, background_sync: bool = False
) -> FastAPI:
    """Build the app for a node (opened from ``data_dir`` when not given).

    ``background_sync`` (what `puente serve` asks for) pulls from partners on a schedule.
    """
    domains.install()
    the_node = node or open_node(data_dir)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        scheduler = None
        if background_sync and the_node.settings.sync.enabled:
            from puente.sharing.scheduler import SyncScheduler

            scheduler = SyncScheduler(the_node, the_node.settings.sync.interval_seconds)
            scheduler.start()
        yield
        if scheduler is not None:
            scheduler.stop()
        if node is None:
            the_node.close()

    app = FastAPI(
        title=f"Puente — {the_node.settings.display_name}",
        version=__version__,
        description="One sovereign node of Puente. Errors are RFC 9457 problem details.",
        lifespan=lifespan,
        docs_url=None,  # served below from vendored assets: nothing loads from a CDN
        openapi_url="/api/v1/openapi.json",
        redoc_url=None,
        dependencies=[Depends(text_only)],
    )
    app.state.node = the_node
    board = Board(board_path(the_node.settings.data_dir))
    app.state.board = board

    app.add_middleware(
        ResponseHeaders,
        lang_cookie=LANG_COOKIE,
        secure_cookies=the_node.settings.security.secure_cookies,
    )
    app.add_middleware(BodyLimit, max_bytes=the_node.settings.limits.max_request_bytes)
    app.add_middleware(PeopleFirst, board=board)  # outermost: counts the whole answer

    async def on_error(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith(TAXII_PREFIX):
            assert isinstance(exc, PuenteError)
            return taxii_api.from_error(request, exc)
        if request.url.path.startswith("/api/"):
            assert isinstance(exc, PuenteError)
            return problems.from_error(request, exc)
        from puente.web.pages import error_page

        assert isinstance(exc, PuenteError)
        return error_page(request, exc)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return problems.from_validation(request, exc)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        # Unknown pages get the HTML 404 page; the API keeps its JSON answer.
        from starlette.exceptions import HTTPException
        from starlette.responses import JSONResponse

        assert isinstance(exc, HTTPException)
        if request.url.path.startswith(TAXII_PREFIX):
            return taxii_api.from_http_error(request, exc)
        if exc.status_code == 404 and not request.url.path.startswith("/api/"):
            from puente.errors import N_, NotFound
            from puente.web.pages import error_page

            return error_page(request, NotFound(N_("There is no page at this address.")))
        if request.url.path.startswith("/api/"):
            return problems.from_http(request, exc.status_code, getattr(exc, "headers", None))
        return JSONResponse(
            {"detail": exc.detail},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    async def on_media_type(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, taxii_api.MediaTypeError)
        return taxii_api.error_response(request, exc.status, exc.message)

    app.add_exception_handler(PuenteError, on_error)
    app.add_exception_handler(taxii_api.MediaTypeError, on_media_type)
    app.add_exception_handler(405, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(404, on_http_error)

    for router in (*api_routers(), *page_routers()):
        app.include_router(router)

    @app.get("/api/docs", include_in_schema=False)
    def api_docs(request: Request) -> Response:
        from puente.web.pages import render

        return render(request, "api_docs.html")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, Any]:
        found: dict[str, Any] = {"status": "ok", "node": the_node.settings.node_id}
        if the_node.db.replica is not None:  # its state, lag and where this process read
            found["replica"] = the_node.db.replica.status()
        return found

    document = app.openapi

    def openapi() -> dict[str, Any]:
        # The problems every route answers (puente.web.problems.RESPONSES) refer to these.
        if app.openapi_schema is None:
            made = document()
            made.setdefault("components", {}).setdefault("schemas", {}).update(problems.schemas())
        return app.openapi_schema or document()

    app.openapi = openapi  # type: ignore[method-assign]

    static = resources.files("puente") / "web" / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    return app


def api_routers() -> list[APIRouter]:
    """The routers of the REST API and of TAXII, in the order the app includes them."""
    from puente.accounts import api as accounts_api
    from puente.audit import api as audit_api
    from puente.hits import api as hits_api
    from puente.indicators import api as indicators_api
    from puente.plan import api as plan_api
    from puente.plan import meeting_api
    from puente.records import api as records_api
    from puente.rfis import api as rfis_api

    return [
        records_api.router,
        accounts_api.router,
        audit_api.router,
        taxii_api.router,
        hits_api.router,
        rfis_api.router,
        plan_api.router,
        indicators_api.router,
        meeting_api.router,
    ]


def page_routers() -> list[APIRouter]:
    """The routers of the web pages, in the order the app includes them."""
    from puente.accounts import views as accounts_views
    from puente.audit import views as audit_views
    from puente.hits import views as hits_views
    from puente.indicators import views as indicator_views
    from puente.plan import meeting_views
    from puente.plan import views as plan_views
    from puente.records import views as records_views
    from puente.rfis import views as rfi_views
    from puente.sharing import recall_views
    from puente.sharing import views as sharing_views
    from puente.web import views as web_views

    modules = (
        web_views,
        accounts_views,
        records_views,
        audit_views,
        sharing_views,
        recall_views,
        hits_views,
        rfi_views,
        plan_views,
        indicator_views,
        meeting_views,
    )
    return [module.router for module in modules]
