"""Registry reads beyond one ops call, shared by the model backend's tools and the MCP read
tools: each takes the registry and returns a typed result (chat/readmodels.py)."""

from __future__ import annotations

from modelyard.chat.knowledge import Knowledge
from modelyard.chat.readmodels import (
    Change,
    ModelAsOf,
    ModelsAsOf,
    RecordHistory,
    ResolvedManifest,
    SearchHit,
    SearchResult,
    StatusChange,
    VersionDiff,
)
from modelyard.chat.search import Index, words
from modelyard.domain.semver import manifest_diff
from modelyard.domain.timefmt import iso, parse_iso
from modelyard.errors import InvalidValue
from modelyard.ops import load
from modelyard.ops.history import History
from modelyard.ops.model_history import status_history
from modelyard.storage import layout
from modelyard.storage.history import file_log
from modelyard.storage.registry import Registry

MAX_SEARCH = 50


def search(reg: Registry, query: str, kind: str | None = None, limit: int = 10) -> SearchResult:
    """Recipes and models ranked by relevance to free text (names, tags, descriptions and
    manifest contents such as features, sources and algorithms)."""
    if not 1 <= limit <= MAX_SEARCH:
        raise InvalidValue(f"limit must be between 1 and {MAX_SEARCH}, not {limit}")
    kb = Knowledge(reg)
    hits = Index(kb).rank(words(query), kind, limit)
    out = []
    for k, ident, score in hits:
        title = kb.recipes[ident].name if k == "recipe" else kb.models[ident].name
        out.append(SearchHit(kind=k, id=ident, title=title, score=round(score, 4)))
    return SearchResult(query=query, hits=out)


def _version_number(history: History, recipe_id: str, version: str | None) -> str:
    if version is None:
        return load.manifest(history.reg, recipe_id).version
    index = history.lookup(recipe_id, version)
    return history.versions_of(recipe_id)[index].version


def resolve(reg: Registry, recipe_id: str, version: str | None = None) -> ResolvedManifest:
    """A recipe's manifest after inheritance, at its current version or a committed one, with
    the recipe that set each value."""
    load.recipe(reg, recipe_id)
    history = History(reg, lazy=True)
    if version is None:
        from modelyard.ops.recipes import resolved_manifest

        manifest, provenance = resolved_manifest(reg, recipe_id)
        number = load.manifest(reg, recipe_id).version
        found = history.find(recipe_id, number)
        commit = found.commit if found else None
    else:
        number = _version_number(history, recipe_id, version)
        resolved = history.resolved(recipe_id, number)
        manifest, provenance, commit = (
            resolved.manifest,
            resolved.provenance,
            resolved.source.commit,
        )
    return ResolvedManifest(
        recipe_id=recipe_id,
        version=number,
        commit=commit,
        manifest=manifest,
        provenance=provenance,
    )


def diff_versions(
    reg: Registry, recipe_id: str, from_version: str, to_version: str | None = None
) -> VersionDiff:
    """The semantic difference between two committed versions of a recipe (the second
    defaults to the current one)."""
    load.recipe(reg, recipe_id)
    history = History(reg, lazy=True)
    old = _version_number(history, recipe_id, from_version)
    new = _version_number(history, recipe_id, to_version)
    before = history.resolved(recipe_id, old).manifest
    after = history.resolved(recipe_id, new).manifest
    diff = manifest_diff(before, after, old, tuple(reg.settings.breaking_paths)) or {}
    return VersionDiff(recipe_id=recipe_id, from_version=old, to_version=new, diff=diff)


def record_history(reg: Registry, kind: str, ident: str) -> RecordHistory:
    """Every commit that touched a recipe's, model's or run's files (who, when, why), and for
    a model the status changes, for a recipe its versions."""
    if kind == "recipe":
        load.recipe(reg, ident)
        pattern = f"{layout.RECIPES}/{ident}/*"
    elif kind == "model":
        load.model(reg, ident)
        pattern = f"{layout.MODELS}/{ident}/{layout.MODEL_FILE}"
    elif kind == "run":
        load.run(reg, ident)
        pattern = str(layout.run_file(ident).parent) + "/*"
    else:
        raise InvalidValue(f"kind must be one of recipe, model, run, not {kind!r}")
    changes = [
        Change(
            commit=c.commit,
            author=c.author_name,
            date=iso(parse_iso(c.author_date)),
            message=c.message,
            path=reg.display(c.path),
            removed=c.blob is None,
        )
        for c in (file_log(reg.git, reg.prefix, pattern) if reg.in_git else [])
    ]
    out = RecordHistory(kind=kind, id=ident, changes=changes)
    if kind == "model":
        out.status_changes = [
            StatusChange(**vars(s)) for s in status_history(reg, ident).get(ident, [])
        ]
    if kind == "recipe":
        out.versions = [v.version for v in History(reg, lazy=True).versions_of(ident)]
    return out


def models_as_of(reg: Registry, when: str) -> ModelsAsOf:
    """Each model's status at an instant (`2026-11-01` is the end of that day, UTC), read
    from the git history of the model files."""
    from modelyard.ops.asof import parse_as_of  # the one reader of an as-of date

    moment = parse_as_of(when)
    out = []
    for model_id, changes in sorted(status_history(reg).items()):
        before = [c for c in changes if parse_iso(c.at) <= moment]
        if before:
            last = before[-1]
            out.append(
                ModelAsOf(
                    model_id=model_id,
                    status=last.status,
                    since=last.at,
                    author=last.author,
                    commit=last.commit,
                )
            )
    return ModelsAsOf(as_of=iso(moment), models=out)
