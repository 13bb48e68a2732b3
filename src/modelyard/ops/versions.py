"""Recipe versions: list, get, create. A version is a git commit (docs/registry.md,
"Versions are commits")."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modelyard.domain.ids import version_id as make_version_id
from modelyard.domain.records import Extends, ManifestFile, RecipeVersion, VersionList
from modelyard.domain.resolve import overrides_between, prune_nulls, resolve
from modelyard.domain.semver import at_least, bump, bump_between, manifest_diff
from modelyard.errors import Conflict, FieldError, ValidationFailed
from modelyard.ops import load, refs
from modelyard.ops.common import parse_body, same_id
from modelyard.ops.history import History
from modelyard.storage import files, layout
from modelyard.storage.registry import Registry

if TYPE_CHECKING:
    # request bodies and the manifest's model are imported where they are used, so a
    # listing does not build their classes
    from modelyard.domain.requests import VersionCreate


def list_versions(
    reg: Registry, recipe_id: str, history: History | None = None, as_of: str | None = None
) -> VersionList:
    """Every committed version of a recipe, oldest first, each with its resolved manifest and
    the semantic diff from the previous one; with `as_of`, those committed by then."""
    if as_of:  # an empty value is no date, as an empty filter is no filter
        from modelyard.ops import asof

        return asof.versions_as_of(reg, recipe_id, as_of)
    load.recipe(reg, recipe_id)
    history = history or History(reg, lazy=True)
    versions = [history.record(recipe_id, i) for i in range(len(history.versions_of(recipe_id)))]
    return VersionList(versions=versions, total=len(versions))


def get_version(reg: Registry, recipe_id: str, version_id: str) -> RecipeVersion:
    """One version, by `ver_<recipe>_v1.2.0`, `v1.2.0` or `1.2.0`."""
    load.recipe(reg, recipe_id)
    history = History(reg, lazy=True)
    return history.record(recipe_id, history.lookup(recipe_id, version_id))


def create_version(
    reg: Registry, recipe_id: str, body: VersionCreate | dict[str, Any]
) -> RecipeVersion:
    """Commit a new version from a full manifest. The version number is bumped from the
    semantic difference (removed key or changed type: major; added key: minor; changed value:
    patch; a registry's breaking paths: major) unless an explicit, greater one is given."""
    from modelyard.domain.requests import VersionCreate
    from modelyard.ops.manifests import Resolver, normalized_manifest

    req = parse_body(VersionCreate, body)
    same_id(req.recipe_id, recipe_id, "recipe_id")
    with reg.mutate(req.change_note, author=req.created_by) as m:
        recipe = load.recipe(reg, recipe_id)
        current_file = load.manifest(reg, recipe_id)
        resolver = Resolver(reg)
        current_full, _ = resolver.current(recipe_id)
        full = normalized_manifest(
            prune_nulls(req.manifest_json), recipe.model_family, ("body", "manifest_json")
        )

        extends = current_file.extends
        if req.parent_version is not None:
            if extends is None:
                raise ValidationFailed(
                    [
                        FieldError(
                            ("body", "parent_version"),
                            f"{recipe_id} has no parent to pin",
                            "value_error.lineage",
                        )
                    ]
                )
            extends = Extends(recipe=extends.recipe, version=req.parent_version)
            if load.manifest(reg, extends.recipe).version == req.parent_version:
                refs.require_committed(reg, extends.recipe, req.parent_version)
        if extends is not None:
            loc = (
                ("body", "parent_version")
                if req.parent_version is not None
                else ("body", "manifest_json")
            )
            parent_full = resolve(
                resolver.layers_for_child(recipe_id, extends.recipe, extends.version, loc)
            )[0]
            stored = overrides_between(parent_full, full)
        else:
            stored = full

        diff = manifest_diff(
            current_full, full, current_file.version, tuple(reg.settings.breaking_paths)
        )
        assert diff is not None
        pin_moved = extends != current_file.extends
        if not diff["changes"] and not pin_moved:
            raise Conflict(
                f"the manifest is the same as version {current_file.version}; "
                "there is nothing to version"
            )
        required = diff["bump"] or "patch"
        if req.version is not None:
            given = bump_between(current_file.version, req.version)
            if given is None:
                raise ValidationFailed(
                    [
                        FieldError(
                            ("body", "version"),
                            f"version {req.version} is not greater than "
                            f"the current {current_file.version}",
                            "value_error.version",
                        )
                    ]
                )
            if not at_least(given, required):
                raise ValidationFailed(
                    [
                        FieldError(
                            ("body", "version"),
                            f"version {req.version} is a {given} bump, "
                            f"but the change needs a {required} bump "
                            f"(at least {bump(current_file.version, required)})",
                            "value_error.version",
                        )
                    ]
                )
            if resolver.history.find(recipe_id, req.version) is not None:
                raise Conflict(f"version {req.version} of {recipe_id} already exists")
            new_version = req.version
        else:
            new_version = bump(current_file.version, required)
            # a reverted version keeps its number: never hand the same one out twice
            while resolver.history.find(recipe_id, new_version) is not None:
                new_version = bump(new_version, required)

        now = m.date
        new_file = ManifestFile(version=new_version, extends=extends, manifest=stored)
        rel = str(layout.manifest_file(recipe_id))
        m.write(
            rel,
            files.render(
                new_file, "manifest", rel, exclude={"extends"} if extends is None else None
            ),
        )
        updated = recipe.model_copy(update={"updated_at": now})
        m.write(
            layout.recipe_file(recipe_id),
            files.render(updated, "recipe", str(layout.recipe_file(recipe_id))),
        )
    return RecipeVersion(
        version_id=make_version_id(recipe_id, new_version),
        recipe_id=recipe_id,
        version_number=new_version,
        manifest_json=full,
        diff_from_prev=diff,
        created_by=m.author_name or "",
        created_at=now,
        change_note=req.change_note,
        commit=m.sha,
        extends=extends,
        overrides=stored if extends is not None else None,
        bump=diff["bump"],
    )
