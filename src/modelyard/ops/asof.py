"""The registry as it was at an instant, from git alone (docs/promotion.md, "History").

The registry "at" a time is the commit its branch pointed at then: the last commit on the
first-parent line of HEAD committed at or before that time (a pull request counts from when
it was merged). Records are read from that commit's tree; nothing in the working tree or the
cache is consulted."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from typing import Any, TypeVar

from pydantic import BaseModel

from modelyard.domain.enums import ModelFamily, ModelStatus, RecipeLevel, RecipeStatus
from modelyard.domain.ids import version_id as make_version_id
from modelyard.domain.records import (
    ManifestFile,
    Model,
    ModelList,
    Recipe,
    RecipeList,
    RecipeOut,
    VersionList,
)
from modelyard.domain.timefmt import iso, to_utc
from modelyard.errors import InvalidValue, RegistryFileError
from modelyard.ops import load
from modelyard.ops.history import History
from modelyard.storage import files, layout
from modelyard.storage.registry import Registry

T = TypeVar("T", bound=BaseModel)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_as_of(text: str) -> datetime:
    """`2026-11-01` (the end of that day, UTC) or an ISO 8601 time (`2026-11-01T09:00:00Z`;
    without an offset it is UTC)."""
    value = (text or "").strip()
    try:
        if _DATE.fullmatch(value):
            day = datetime.fromisoformat(value).date()
            return datetime.combine(day, time(23, 59, 59), UTC)
        return to_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise InvalidValue(
            f"Invalid as_of value: {text!r} (a date such as 2026-11-01, the end of that day "
            "in UTC, or a time such as 2026-11-01T09:00:00Z)"
        ) from None


def commit_at(reg: Registry, when: datetime) -> str | None:
    """The commit the registry's branch pointed at `when`; None before its first commit."""
    if not reg.in_git:
        raise InvalidValue(f"as_of needs a git repository, and {reg.root} is not in one")
    return reg.git.commit_before(int(when.timestamp()))


def _records(reg: Registry, commit: str, folder: str, name: str, model: type[T]) -> list[T]:
    """Every `<folder>/<id>/<name>` record in `commit`'s tree, by id."""
    blobs = reg.git.tree_blobs(commit, reg.repo_path(folder))
    wanted: dict[str, str] = {}
    for repo_path, blob in blobs.items():
        rel = reg.rel_path(repo_path)
        parts = rel.split("/") if rel else []
        if len(parts) == 3 and parts[2] == name:
            wanted[rel or repo_path] = blob
    texts = reg.git.cat_blobs(wanted.values())
    out: list[T] = []
    for rel, blob in sorted(wanted.items()):
        try:
            out.append(files.parse_text(texts.get(blob, b""), model, reg.display(rel)))
        except RegistryFileError:
            continue  # a file that was broken then; the validator of that day reported it
    return out


def models_at(
    reg: Registry,
    as_of: str,
    family: ModelFamily | None,
    status: ModelStatus | None,
    recipe_id: str | None,
    owner: str | None,
    limit: int,
    offset: int,
) -> ModelList:
    """Models as the registry held them at `as_of`: `models.list_models(..., as_of=)`, whose
    filters and page arrive checked."""
    st = status
    commit = commit_at(reg, parse_as_of(as_of))
    found = _records(reg, commit, layout.MODELS, layout.MODEL_FILE, Model) if commit else []
    hits = [
        m
        for m in found
        if (family is None or m.model_family == family)
        and (st is None or m.status == st)
        and (recipe_id is None or m.recipe_id == recipe_id)
        and (owner is None or m.owner == owner)
    ]
    return ModelList(models=hits[offset : offset + limit], total=len(hits))


def recipes_at(
    reg: Registry,
    as_of: str,
    family: ModelFamily | None,
    lv: RecipeLevel | None,
    st: RecipeStatus | None,
    limit: int,
    offset: int,
) -> RecipeList:
    """Recipes, each with the version it was at, at `as_of`: `recipes.list_recipes(...,
    as_of=)`, whose filters and page arrive checked."""
    commit = commit_at(reg, parse_as_of(as_of))
    if commit is None:
        return RecipeList(recipes=[], total=0)
    found = _records(reg, commit, layout.RECIPES, layout.RECIPE_FILE, Recipe)
    manifests = {
        r.id: mf
        for r, mf in zip(found, _manifests(reg, commit, [r.id for r in found]), strict=True)
    }
    hits = [
        r
        for r in found
        if (family is None or r.model_family == family)
        and (lv is None or r.level == lv)
        and (st is None or r.status == st)
    ]
    out = []
    for r in hits[offset : offset + limit]:
        mf = manifests.get(r.id)
        version = mf.version if mf is not None else None
        out.append(
            RecipeOut(
                **r.model_dump(),
                version=version,
                version_id=make_version_id(r.id, version) if version else None,
            )
        )
    return RecipeList(recipes=out, total=len(hits))


def _manifests(reg: Registry, commit: str, recipe_ids: list[str]) -> list[ManifestFile | None]:
    found = {
        reg.rel_path(p): b
        for p, b in reg.git.tree_blobs(commit, reg.repo_path(layout.RECIPES)).items()
        if p.endswith("/manifest.yaml")
    }
    wanted = {rid: found.get(str(layout.manifest_file(rid))) for rid in recipe_ids}
    texts = reg.git.cat_blobs(b for b in wanted.values() if b)
    out: list[ManifestFile | None] = []
    for rid, blob in wanted.items():
        try:
            rel = str(layout.manifest_file(rid))
            out.append(
                files.parse_text(texts[blob], ManifestFile, reg.display(rel)) if blob else None
            )
        except (RegistryFileError, KeyError):
            out.append(None)
    return out


def versions_as_of(reg: Registry, recipe_id: str, as_of: str) -> VersionList:
    """The versions of a recipe committed by `as_of` (GET /recipes/{id}/versions?as_of=...)."""
    load.recipe(reg, recipe_id)
    commit = commit_at(reg, parse_as_of(as_of))
    if commit is None:
        return VersionList(versions=[], total=0)
    history = History(reg, lazy=True)
    kept = []
    for i, source in enumerate(history.versions_of(recipe_id)):
        if not reg.git.is_ancestor(source.commit, commit):
            break  # versions are oldest first: once one is later, so are the rest
        kept.append(history.record(recipe_id, i))
    return VersionList(versions=kept, total=len(kept))


def describe(reg: Registry, as_of: str) -> dict[str, Any]:
    """Which commit answers for `as_of`: {as_of, commit} (commit None before the first)."""
    when = parse_as_of(as_of)
    return {"as_of": iso(when), "commit": commit_at(reg, when)}
