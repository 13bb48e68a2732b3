"""The static catalog at `/model-development/`, built by `modelyard.site` into a folder
outside the working tree and rebuilt when the registry changed.

"Changed" is judged cheaply, without running git: the branch HEAD points at, the index,
every file under `recipes/` and `models/` (uncommitted edits show there too) and the run
shard folders. It is looked at right after this server wrote, else no more than once a second.
"""

from __future__ import annotations

import html
import logging
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from modelyard.errors import ModelyardError
from modelyard.storage.registry import Registry

log = logging.getLogger("modelyard.server")

PAGES = "model-development"
CHECK_INTERVAL = 1.0

PLACEHOLDER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>modelyard catalog</title></head>
<body>
<h1>modelyard</h1>
<p>{message}</p>
<p>The API is at <a href="/api/ml-development/recipes">/api/ml-development/</a>;
its interactive documentation is at <a href="/docs">/docs</a>.</p>
</body></html>
"""


def _site_builder() -> Any:
    try:
        from modelyard.site.build import build_site
    except ModuleNotFoundError as exc:
        if exc.name and (exc.name == "modelyard.site" or exc.name.startswith("modelyard.site.")):
            return None
        raise
    return build_site


class Catalog:
    """Builds the catalog on demand and knows where its pages are."""

    def __init__(self, root: Path, out: Path | None, worktree: bool = False) -> None:
        self.root = root
        self._out = out
        self.worktree = worktree
        self._lock = threading.Lock()
        self._tried_for: tuple[Any, ...] | None = None
        self._good = False
        self._checked = 0.0
        self._writes_seen = -1
        self.error: str | None = None
        self.builds = 0
        self._git_dir: Path | None = None
        reg = Registry(root)
        if reg.in_git:
            self._git_dir = reg.git.git_dir

    @property
    def out(self) -> Path:
        if self._out is None:
            if self._git_dir is not None:
                self._out = self._git_dir / "modelyard" / "site"
            else:
                self._out = Path(tempfile.mkdtemp(prefix="modelyard-site-"))
        return self._out

    @property
    def pages(self) -> Path:
        return self.out / PAGES

    def fingerprint(self) -> tuple[Any, ...]:
        return self._open().fingerprint()

    def _open(self) -> Registry:
        return Registry(self.root, committed=not self.worktree)

    def ensure(self, writes: int = 0) -> Path | None:
        """The pages folder, rebuilt first when the registry changed; None without a builder
        or before a first good build. `writes` counts this server's writes: a new count means
        look now rather than within the second."""
        build_site = _site_builder()
        if build_site is None:
            return None
        with self._lock:
            now = time.monotonic()
            recent = now - self._checked < CHECK_INTERVAL
            if self._tried_for is not None and recent and writes == self._writes_seen:
                return self._result()
            self._checked = now
            self._writes_seen = writes
            print_ = self.fingerprint()
            if print_ == self._tried_for:
                return self._result()
            self._tried_for = print_
            try:
                build_site(self._open(), self.out, base_url="", incremental=True)
            except ModelyardError as exc:
                # keep serving the last good build, and say why it is not newer
                self.error = str(exc)
                log.error("building the catalog failed: %s", exc)
                return self._result()
            self.error = None
            self._good = True
            self.builds += 1
            return self.pages

    def _result(self) -> Path | None:
        return self.pages if self._good else None


router = APIRouter(include_in_schema=False)


@router.get("/")
async def home() -> RedirectResponse:
    return RedirectResponse(f"/{PAGES}/")


@router.get(f"/{PAGES}")
async def catalog_root() -> RedirectResponse:
    return RedirectResponse(f"/{PAGES}/")


@router.get(f"/{PAGES}/{{path:path}}")
async def catalog_page(request: Request, path: str) -> Response:
    catalog: Catalog = request.app.state.catalog
    pages = await anyio.to_thread.run_sync(catalog.ensure, request.app.state.access.writes)
    if pages is None:
        if catalog.error:
            message = "The catalog could not be built: " + catalog.error
            return HTMLResponse(PLACEHOLDER.format(message=html.escape(message)), status_code=500)
        message = "The static catalog is not part of this build of modelyard (no modelyard.site)."
        return HTMLResponse(PLACEHOLDER.format(message=html.escape(message)))
    target = _page(pages, path)
    if target is None:
        raise HTTPException(404, "Page not found")
    return FileResponse(target)


mirrors = APIRouter(include_in_schema=False)
mirror_files = APIRouter(include_in_schema=False)


@mirror_files.get("/api/ml-development/{path:path}.json")
async def json_mirror_file(request: Request, path: str) -> Response:
    """`recipes/recipe_x.json` and every other mirror the catalog links to. Registered before
    the API: no API path ends in `.json` (ids cannot hold a dot), but `/recipes/{recipe_id}`
    would otherwise take `recipe_x.json` for an id and answer 404."""
    return await json_mirror(request, f"{path}.json")


@mirrors.get("/api/ml-development/{path:path}")
async def json_mirror(request: Request, path: str) -> Response:
    """The catalog's JSON mirrors, for pages that read them; registered after every API
    route, so it only answers what the API itself does not."""
    if path.endswith("/"):
        # what the router does for a trailing slash when no route catches everything
        url = request.url.replace(path=request.url.path.rstrip("/"))
        return RedirectResponse(str(url), status_code=307)
    catalog: Catalog = request.app.state.catalog
    pages = await anyio.to_thread.run_sync(catalog.ensure, request.app.state.access.writes)
    if pages is not None:
        target = _inside(catalog.out / "api" / "ml-development", path)
        if target is not None and target.is_file():
            return FileResponse(target)
    raise HTTPException(404, "Not Found")


def _inside(base: Path, path: str) -> Path | None:
    """`base/path` when it is a path inside `base` that the file system can hold; None for
    one that leaves it, holds a NUL byte or is longer than a file name may be (a 404, never
    an error that would name the server's folders)."""
    try:
        root = base.resolve()
        target = (root / path).resolve()
        if target != root and root not in target.parents:
            return None
        target.stat()
    except FileNotFoundError:
        return target
    except (OSError, ValueError):
        return None
    return target


def _page(pages: Path, path: str) -> Path | None:
    """The file a catalog URL names: a folder's index.html, or `x.html` for `x`."""
    target = _inside(pages, path)
    if target is None:
        return None
    try:
        if target.is_dir():
            target = target / "index.html"
        elif not target.exists() and target.with_suffix(".html").is_file():
            target = target.with_suffix(".html")
        return target if target.is_file() else None
    except (OSError, ValueError):
        return None
