"""Which files to check, and sending each to the check of its kind."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from modelyard.domain.ids import ID_RULE, is_valid_id, slug
from modelyard.domain.records import RegistrySettings
from modelyard.storage import layout, safefs
from modelyard.validate import recipes, records
from modelyard.validate.context import Context
from modelyard.validate.report import did_you_mean
from modelyard.validate.tree import MODEL_FILES, RECIPE_FILES, RECORD_FOLDERS, RUN_FILES

_EXPECTED_NAMES = {
    layout.RECIPES: [layout.RECIPE_FILE, layout.MANIFEST_FILE, layout.SYNTHETIC_FILE],
    layout.MODELS: [layout.MODEL_FILE, layout.MONITORING],
    layout.RUNS: [layout.RUN_FILE, layout.LOGS_FILE],
}


def check_file(ctx: Context, rel: str, walked: bool = False) -> None:
    """Every check of one registry-relative file; `walked` when `rel` is one of the files
    `Tree.all_files` listed (no folder on its way is a link, and whether it is one is known)."""
    links = ctx.tree.links
    linked = rel in links if walked and links is not None else None
    if linked is None:
        linked = not safefs.is_link_free(ctx.reg.root, rel)
    if linked:
        # never read: a link could point anywhere (`/etc/passwd`, a token file), and even
        # its target's name or content in a message would be published by CI
        ctx.out.error(
            "symlink", ctx.display(rel), safefs.SYMLINK if _is_link(ctx, rel) else safefs.IN_PATH
        )
        return
    found = layout.kind_of(rel)
    if found is None:
        _unknown_file(ctx, rel)
        return
    kind, ids = found
    if not names_ok(ctx, rel, kind, ids):
        return
    if kind == "settings":
        parsed = ctx.tree.parse(rel, RegistrySettings)
        if parsed is not None:
            ctx.report_parse(parsed)
    elif kind == "recipe":
        recipes.check_recipe(ctx, ids["recipe_id"])
    elif kind == "manifest":
        recipes.check_manifest(ctx, ids["recipe_id"])
    elif kind == "synthetic":
        recipes.check_synthetic(ctx, ids["recipe_id"])
    elif kind == "model":
        records.check_model(ctx, ids["model_id"])
    elif kind == "snapshot":
        records.check_snapshot(ctx, rel, ids["model_id"], ids["snapshot_id"])
    elif kind == "run":
        records.check_run(ctx, rel, ids["shard"], ids["run_id"])


def _is_link(ctx: Context, rel: str) -> bool:
    return os.path.islink(ctx.reg.path(rel))


def names_ok(ctx: Context, rel: str, kind: str, ids: dict[str, str]) -> bool:
    """Folder and file names that are ids must be valid ids (paths are built only from those)."""
    ok = True
    for key, name in ids.items():
        if key == "shard" or is_valid_id(name):
            continue
        ok = False
        hint = ""
        lowered = name.lower()
        if is_valid_id(lowered) and _exists_as(ctx, kind, ids, key, lowered):
            hint = (
                f"; it differs only in case from {lowered}, which exists: "
                "two records may not share an id"
            )
        elif is_valid_id(slug(name)):
            hint = f"; for example {slug(name)!r}"
        ctx.out.error("bad-name", ctx.display(rel), f"{name!r} is not a valid id ({ID_RULE}){hint}")
    return ok


def _exists_as(ctx: Context, kind: str, ids: dict[str, str], key: str, name: str) -> bool:
    if key == "recipe_id":
        return ctx.reg.path(layout.recipe_dir(name)).is_dir()
    if key == "model_id":
        return ctx.reg.path(layout.model_dir(name)).is_dir()
    if key == "run_id":
        return name in ctx.tree.run_index()
    if key == "snapshot_id" and is_valid_id(ids.get("model_id", "")):
        return ctx.reg.path(layout.snapshot_file(ids["model_id"], name)).is_file()
    return False


def _unknown_file(ctx: Context, rel: str) -> None:
    parts = PurePosixPath(rel).parts
    is_yaml = rel.endswith((".yaml", ".yml"))
    if parts[0] not in RECORD_FOLDERS and not is_yaml:
        return  # a README or the like beside the registry's folders
    expected = _EXPECTED_NAMES.get(parts[0], [layout.SETTINGS])
    ctx.out.warning(
        "unknown-file",
        ctx.display(rel),
        f"not a registry file, so nothing reads it{did_you_mean(parts[-1], expected)}; "
        "see docs/registry.md for the layout",
    )


def expand(ctx: Context, rels: Iterable[str]) -> set[str]:
    """The files given plus what their checks' results depend on, like dbt's `state:modified+`:
    a changed recipe's descendants (their lineage and resolved manifests) and models (their
    version and family), a changed model's runs. One `git grep` per step, not a read of every
    file."""
    scope = set(rels)
    recipes_changed: set[str] = set()
    models_changed: set[str] = set()
    for rel in scope:
        found = layout.kind_of(rel)
        if (
            found is not None
            and found[0] in ("recipe", "manifest")
            and is_valid_id(found[1]["recipe_id"])
        ):
            recipes_changed.add(found[1]["recipe_id"])
        elif found is not None and found[0] == "model" and is_valid_id(found[1]["model_id"]):
            models_changed.add(found[1]["model_id"])
    seen = set(recipes_changed)
    frontier = set(recipes_changed)
    while frontier:
        children = {
            PurePosixPath(rel).parts[1]
            for rels in ctx.tree.users("parent_id", frontier, RECIPE_FILES).values()
            for rel in rels
        }
        frontier = {c for c in children if is_valid_id(c)} - seen
        seen |= frontier
        for child in frontier:
            scope.update({str(layout.recipe_file(child)), str(layout.manifest_file(child))})
    for rels in ctx.tree.users("recipe_id", recipes_changed, MODEL_FILES).values():
        scope.update(rels)
    for rels in ctx.tree.users("model_id", models_changed, RUN_FILES).values():
        scope.update(rels)
    # a link stays in scope (it is reported, never read); a path that is gone is dropped
    return {r for r in scope if ctx.tree.exists(r) or not safefs.is_link_free(ctx.reg.root, r)}


def files_under(
    ctx: Context, paths: Iterable[str | os.PathLike[str]]
) -> tuple[set[str], list[str]]:
    """Registry-relative files named by `paths` (files or folders, absolute or relative to the
    registry), and the paths that lie outside the registry (ignored: pre-commit passes every
    changed file of a repository)."""
    root = ctx.reg.root
    found: set[str] = set()
    outside: list[str] = []
    for given in paths:
        path = Path(given)
        # normalised, not resolved: a link inside the registry is reported, never followed
        full = Path(os.path.normpath(path if path.is_absolute() else root / path))
        try:
            rel = full.relative_to(root)
        except ValueError:
            outside.append(str(given))
            continue
        if any(part.startswith(".") for part in rel.parts):
            continue
        if not safefs.is_link_free(root, rel):
            found.add(rel.as_posix())
        elif full.is_dir():
            for folder, dirs, names in os.walk(full):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                linked = [d for d in dirs if os.path.islink(os.path.join(folder, d))]
                for name in (*names, *linked):
                    if not name.startswith("."):
                        found.add((Path(folder) / name).relative_to(root).as_posix())
        elif full.is_file():
            found.add(rel.as_posix())
    return found, outside
