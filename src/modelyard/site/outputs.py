"""What each page and JSON mirror of the catalog is made from: jobs of (kind, id), each
yielding its output files with a key that changes exactly when the output would."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, TemplateError
from pydantic import BaseModel

from modelyard.domain.records import ModelList, RecipeList, RunList, SnapshotList, VersionList
from modelyard.ops.common import DEFAULT_LIMIT
from modelyard.site import context as ctx
from modelyard.site import rows, search
from modelyard.site.data import Catalog
from modelyard.site.render import template_problem
from modelyard.site.shards import DATA, RunData, script

PAGES = "model-development"
API = "api/ml-development"

Job = tuple[str, str]
Output = tuple[str, str, Callable[[], bytes]]


def dump_json(data: Any) -> bytes:
    """The mirrors are printed exactly as `--json` prints (indent 2, UTF-8), plus a newline."""
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()


def _hash(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()[:32]


@dataclass
class Site:
    """Everything a job needs; built once per build, shared by forked workers."""

    cat: Catalog
    ix: rows.Indexes
    env: Environment
    digest: str
    base_url: str
    run_pages: bool = True  # a page and a mirror per run (small registries), else data files only

    # -- helpers -------------------------------------------------------------------------
    def page(self, rel: str, template: str, context: dict[str, Any]) -> Output:
        """An HTML page at `rel` (under model-development/); `root` leads back to that folder."""
        depth = rel.count("/")
        full = {
            **context,
            "root": "../" * depth,
            "api_root": "../" * (depth + 1) + API + "/",
            "page_path": rel,
            "canonical": f"{self.base_url}/{PAGES}/{rel}" if self.base_url else "",
            "site_name": self.cat.settings.name,
        }
        key = _hash(
            self.digest, self.base_url, template, json.dumps(full, sort_keys=True, default=str)
        )

        def render() -> bytes:
            try:
                return self.env.get_template(template).render(full).encode()
            except TemplateError as exc:
                raise template_problem(exc, template) from None

        return f"{PAGES}/{rel}", key, render

    def mirror(self, rel: str, record: BaseModel) -> Output:
        """A JSON mirror; keyed by pydantic's fast JSON of the record, so an unchanged mirror
        is never formatted again."""
        key = _hash(record.model_dump_json())

        def render() -> bytes:
            return dump_json(record.model_dump(mode="json"))

        return f"{API}/{rel}", key, render

    def data(self, name: str, payload: Any) -> Output:
        """A data file at `model-development/data/<name>.js`, keyed by its bytes."""
        body = script(name, payload)
        return f"{PAGES}/{DATA}/{name}.js", _hash(body), lambda: body

    def paged(
        self, rel: str, key: str, items: list[Any], total_model: Any, total: int | None = None
    ) -> Iterator[Output]:
        """A list endpoint's default response at `<rel>.json`, and its later pages (what
        `?offset=N` would give) at `<rel>/page-<n>.json`; `total` when `items` holds only
        the first pages of a longer list."""
        pages = max(1, -(-len(items) // DEFAULT_LIMIT))
        for n in range(pages):
            chunk = items[n * DEFAULT_LIMIT : (n + 1) * DEFAULT_LIMIT]
            yield self.mirror(
                f"{rel}.json" if n == 0 else f"{rel}/page-{n + 1}.json",
                total_model(**{key: chunk, "total": len(items) if total is None else total}),
            )

    # -- jobs ----------------------------------------------------------------------------
    def jobs(self) -> list[Job]:
        out: list[Job] = [
            ("index", ""),
            ("chat", ""),
            ("search", ""),
            ("lists", ""),
            ("explorer", ""),
        ]
        out += [("month", m) for m in self.runs.months]
        out += [("recipe", r.id) for r in self.cat.recipes]
        out += [("model", m.id) for m in self.cat.models]
        if self.run_pages:
            out += [("run", r.id) for r in self.cat.runs]
        return out

    def outputs(self, job: Job) -> Iterator[Output]:
        kind, ident = job
        cat, ix = self.cat, self.ix
        if kind == "index":
            yield self.page("index.html", "index.html", ctx.index_page(cat, ix))
        elif kind == "chat":
            yield self.page("chat/index.html", "chat.html", {"title": "Search and ask"})
        elif kind == "search":
            docs, chunks = search.build(cat, ix)
            yield self.data("search/docs", {"docs": docs, "chunks": sorted(chunks)})
            for first, chunk in chunks.items():
                yield self.data(f"search/t-{first}", chunk)
        elif kind == "lists":
            yield from self.paged("recipes", "recipes", cat.recipes, RecipeList)
            yield from self.paged("models", "models", cat.models, ModelList)
            runs = cat.runs if self.run_pages else cat.runs[:DEFAULT_LIMIT]
            yield from self.paged("runs", "runs", runs, RunList, total=len(cat.runs))
        elif kind == "explorer":
            yield self.data("runs/index", self.runs.index())
            for rel, template, title in EXPLORER_PAGES:
                extra = {"total": len(cat.runs)} if template == "runs.html" else {}
                yield self.page(rel, template, {"title": title, **extra})
        elif kind == "month":
            yield self.data(f"runs/{ident}/rows", self.runs.month_rows(ident))
            for number in range(self.runs.buckets[ident]):
                yield self.data(f"runs/{ident}/{number}", self.runs.bucket(ident, number))
        elif kind == "recipe":
            recipe = ix.recipes[ident]
            yield self.page(
                f"recipes/{ident}/index.html",
                "recipe.html",
                {**ctx.recipe_page(cat, ix, recipe), "mirrors": self.run_pages},
            )
            yield self.mirror(f"recipes/{ident}.json", recipe)
            yield self.data(f"recipes/{ident}", self.runs.recipe_rows(ident))
            versions = cat.versions.get(ident, [])
            yield self.mirror(
                f"recipes/{ident}/versions.json",
                VersionList(versions=versions, total=len(versions)),
            )
            if self.run_pages:  # a large registry's versions are in versions.json
                for v in versions:
                    yield self.mirror(f"recipes/{ident}/versions/{v.version_id}.json", v)
            example = cat.synthetic.get(ident)
            if example is not None:
                yield self.mirror(f"recipes/{ident}/synthetic-example.json", example)
        elif kind == "model":
            model = ix.models[ident]
            yield self.page(
                f"models/{ident}/index.html",
                "model.html",
                {**ctx.model_page(cat, ix, model), "mirrors": self.run_pages},
            )
            yield self.mirror(f"models/{ident}.json", model)
            if not self.run_pages:  # a large registry: the model page shows the snapshots
                return
            yield from self.paged(
                f"models/{ident}/monitoring",
                "snapshots",
                cat.snapshots.get(ident, []),
                SnapshotList,
            )
        elif kind == "run":
            run = self.run_by_id[ident]
            yield self.page(f"runs/{ident}/index.html", "run.html", ctx.run_page(cat, ix, run))
            yield self.mirror(f"runs/{ident}.json", run)

    def __post_init__(self) -> None:
        self.run_by_id = {r.id: r for r in self.cat.runs}
        self.runs = RunData(self.cat, self.ix)


EXPLORER_PAGES = [
    ("runs/index.html", "runs.html", "Runs"),
    ("runs/view.html", "run_view.html", "Run"),
    ("runs/compare.html", "compare.html", "Compare runs"),
]
