"""`create_app(registry)`: the seed's API under /api/ml-development, the catalog at
/model-development/, OpenAPI at /openapi.json, /docs and /redoc."""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline

from modelyard import __version__
from modelyard.server import errors, openapi
from modelyard.server.access import RegistryAccess
from modelyard.server.auth import require_token
from modelyard.server.catalog import Catalog
from modelyard.server.catalog import mirror_files as catalog_mirror_files
from modelyard.server.catalog import mirrors as catalog_mirrors
from modelyard.server.catalog import router as catalog_router
from modelyard.server.gateway import Gateway
from modelyard.server.gateway_http import UpstreamHeader, health
from modelyard.server.limits import BodySizeLimit
from modelyard.server.respcache import CommitCache
from modelyard.server.routes import (
    chat,
    models,
    monitoring,
    rebase,
    recipes,
    runs,
    synthetic,
    versions,
)
from modelyard.server.settings import ServerSettings
from modelyard.storage import plumbing
from modelyard.storage.git import Git
from modelyard.storage.registry import Registry

PREFIX = "/api/ml-development"
NOUNS = (recipes, versions, rebase, models, runs, monitoring, synthetic, chat)

TAGS = [
    {
        "name": "Recipes",
        "description": "How to build a model of a family at a level; "
        "inherited baseline -> industry -> client.",
    },
    {"name": "Recipe Versions", "description": "Every version is a git commit."},
    {
        "name": "Models",
        "description": "Models registered from a recipe version, with their lifecycle.",
    },
    {"name": "Runs", "description": "Train, eval and backtest runs and their results."},
    {"name": "Monitoring", "description": "What production monitoring saw."},
    {"name": "Synthetic Examples", "description": "A small made-up dataset per recipe."},
    {"name": "Chat Assistant", "description": "Questions about the registry."},
]

DESCRIPTION = """The ML Model Development API, served by modelyard from a
git-backed registry: every write is one commit, every read the registry as it is.

Reads are open. When the server has tokens, writes need `Authorization: Bearer <token>`.
Errors: 404 `{"detail": "Recipe not found"}`, 400 `{"detail": "Invalid model_family value ..."}`,
422 `{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}`, 409 for conflicts.
"""


def create_app(
    registry: Registry | str | Path | None = None, settings: ServerSettings | None = None
) -> FastAPI:
    """The whole server for one registry (a Registry, a path, or None to discover it)."""
    # a server commits many times a second: libgit2 in process beats a git process per step
    plumbing.use_in_process()
    reg = registry if isinstance(registry, Registry) else Registry.open(registry)
    settings = settings or ServerSettings()

    # the docs pages load Swagger UI and ReDoc from this server, not from a CDN, so /docs
    # works on a machine without internet access
    access = RegistryAccess(reg.root, settings.worktree)
    gateway = None
    if settings.gateway is not None:
        gateway = Gateway(reg.root, settings.gateway, access.guard)
        access.gateway = gateway
    app = FastAPIOffline(
        lifespan=access.lifespan,
        title="ML Model Development API (modelyard)",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        generate_unique_id_function=lambda route: route.name,
    )
    app.state.settings = settings
    app.state.access = access
    app.state.gateway = gateway
    app.state.catalog = Catalog(reg.root, settings.site_dir, settings.worktree)
    errors.install(app)
    openapi.install(app)

    write_guard = [Depends(require_token)] if settings.auth_required else []
    app.include_router(catalog_mirror_files)  # before the API: see json_mirror_file
    for noun in NOUNS:
        app.include_router(noun.reads, prefix=PREFIX)
        app.include_router(noun.writes, prefix=PREFIX, dependencies=write_guard)
    app.include_router(catalog_router)
    app.include_router(health)
    app.include_router(catalog_mirrors)
    app.state.methods = errors.MethodTable(
        PREFIX,
        (
            route
            for noun in NOUNS
            for router in (noun.reads, noun.writes)
            for route in router.routes
        ),
    )

    if not settings.worktree and reg.in_git:
        # innermost, so the body limit and CORS apply to cached answers as to fresh ones
        app.add_middleware(CommitCache, head=Git(reg.worktree).current_head, prefix=PREFIX)
    if gateway is not None:
        # outside the answer cache: the upstream commit moves on a push with HEAD unchanged
        app.add_middleware(UpstreamHeader, gateway=gateway, prefix=PREFIX)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    return app
