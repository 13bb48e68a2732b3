"""Recipes: list, get, create, update, delete, clone."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modelyard.domain.enums import ModelFamily, RecipeLevel, RecipeStatus
from modelyard.domain.ids import id_from_name
from modelyard.domain.lifecycle import RECIPE_TRANSITIONS, transition_problem
from modelyard.domain.lineage import lineage_problems
from modelyard.domain.records import Extends, ManifestFile, Recipe, RecipeList, RecipeOut
from modelyard.domain.resolve import overrides_between, prune_nulls, resolve
from modelyard.errors import Conflict, FieldError, ValidationFailed
from modelyard.ops import load, refs
from modelyard.ops.common import check_page, describe_update, parse_body, parse_enum
from modelyard.storage import files, layout
from modelyard.storage.registry import Registry

if TYPE_CHECKING:
    # request bodies and the manifest's model are imported where they are used, so a
    # listing does not build their classes
    from modelyard.domain.requests import RecipeCreate, RecipeUpdate

FIRST_VERSION = "1.0.0"


def list_recipes(
    reg: Registry,
    model_family: str | None = None,
    level: str | None = None,
    status: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
    as_of: str | None = None,
) -> RecipeList:
    """Recipes matching every given filter, by id; `total` counts all matches before paging.
    With `as_of`, as the registry held them then, each at its version then (ops/asof.py)."""
    family = parse_enum(ModelFamily, model_family, "model_family")
    lvl = parse_enum(RecipeLevel, level, "level")
    st = parse_enum(RecipeStatus, status, "status")
    limit, offset = check_page(limit, offset)
    if as_of:  # an empty value is no date, as an empty filter is no filter
        from modelyard.ops import asof

        return asof.recipes_at(reg, as_of, family, lvl, st, limit, offset)
    hits = load.recipes_where(reg, model_family=family, level=lvl, status=st)
    page = hits.page(offset, limit)
    versions = load.current_versions(reg, [r.id for r in page], hits)
    return RecipeList(
        recipes=[load.recipe_out(reg, r, versions[r.id]) for r in page], total=len(hits)
    )


def get_recipe(reg: Registry, recipe_id: str) -> RecipeOut:
    """One recipe with its current version."""
    return load.recipe_out(reg, load.recipe(reg, recipe_id))


def _check_lineage(reg: Registry, parent: Recipe, family: ModelFamily, level: RecipeLevel) -> None:
    errors = [
        FieldError(("body", field), message, "value_error.lineage")
        for field, message in lineage_problems(parent.model_family, parent.level, family, level)
    ]
    if errors:
        raise ValidationFailed(errors)
    if parent.status == RecipeStatus.archived:
        raise Conflict(
            f"recipe {parent.id} is archived; it cannot get new children",
            action="set it back to draft first: "
            f"modelyard recipes update {parent.id} --status draft",
        )


def create_recipe(reg: Registry, body: RecipeCreate | dict[str, Any]) -> RecipeOut:
    """A new recipe at version 1.0.0, committed. A child stores only its overrides and pins
    its parent's current version; `manifest` is the full manifest (empty: same as the parent)."""
    from modelyard.domain.requests import RecipeCreate
    from modelyard.ops.manifests import Resolver, check_manifest, normalized_manifest

    req = parse_body(RecipeCreate, body)
    with reg.mutate("", author=req.created_by) as m:
        now = m.date
        taken = set(reg.ids_in(layout.RECIPES))
        if req.id is not None and req.id in taken:
            raise Conflict(f"recipe {req.id} already exists")
        recipe_id = req.id or id_from_name("recipe", req.name, taken)
        extends = None
        stored: dict[str, Any]
        if req.parent_id:
            parent = load.recipe(reg, req.parent_id)
            _check_lineage(reg, parent, req.model_family, req.level)
            parent_version = load.manifest(reg, parent.id).version
            refs.require_committed(reg, parent.id, parent_version)
            parent_full, _ = resolve(
                Resolver(reg).layers_for_child(recipe_id, parent.id, None, ("body", "parent_id"))
            )
            if req.manifest:
                full = normalized_manifest(
                    prune_nulls(req.manifest), req.model_family, ("body", "manifest")
                )
            else:
                full = parent_full
                check_manifest(full, req.model_family, ("body", "manifest"))
            stored = overrides_between(parent_full, full)
            extends = Extends(recipe=parent.id, version=parent_version)
        else:
            if not req.manifest:
                raise ValidationFailed(
                    [
                        FieldError(
                            ("body", "manifest"),
                            "a recipe without a parent needs a whole manifest",
                            "value_error.missing",
                        )
                    ]
                )
            stored = normalized_manifest(
                prune_nulls(req.manifest), req.model_family, ("body", "manifest")
            )
        recipe = Recipe(
            id=recipe_id,
            name=req.name,
            model_family=req.model_family,
            level=req.level,
            status=RecipeStatus.draft,
            parent_id=req.parent_id,
            tags=req.tags,
            description=req.description,
            created_at=now,
            updated_at=now,
        )
        mf = ManifestFile(version=FIRST_VERSION, extends=extends, manifest=stored)
        m.write(
            layout.recipe_file(recipe_id),
            files.render(recipe, "recipe", str(layout.recipe_file(recipe_id))),
        )
        m.write(
            layout.manifest_file(recipe_id),
            files.render(
                mf, "manifest", str(layout.manifest_file(recipe_id)), exclude=_no_extends(mf)
            ),
        )
        m.message = req.change_note or f"Create recipe {recipe_id}: {req.name}"
    return load.recipe_out(reg, recipe)


def _no_extends(mf: ManifestFile) -> set[str] | None:
    return {"extends"} if mf.extends is None else None


def update_recipe(reg: Registry, recipe_id: str, body: RecipeUpdate | dict[str, Any]) -> RecipeOut:
    """Change name, status (draft <-> approved, any -> archived, archived -> draft) or tags."""
    from modelyard.domain.requests import RecipeUpdate

    req = parse_body(RecipeUpdate, body)
    with reg.mutate("", author=req.updated_by) as m:
        recipe = load.recipe(reg, recipe_id)
        changes: dict[str, Any] = {}
        if req.status is not None and req.status != recipe.status:
            problem = transition_problem("recipe", recipe.status, req.status, RECIPE_TRANSITIONS)
            if problem:
                raise Conflict(problem)
            changes["status"] = req.status
        for name in ("name", "tags", "description"):
            value = getattr(req, name)
            if value is not None and value != getattr(recipe, name):
                changes[name] = value
        if not changes:
            return load.recipe_out(reg, recipe)
        updated = recipe.model_copy(update={**changes, "updated_at": m.date})
        updated = Recipe.model_validate(updated.model_dump())
        m.write(
            layout.recipe_file(recipe_id),
            files.render(updated, "recipe", str(layout.recipe_file(recipe_id))),
        )
        m.message = describe_update(recipe_id, recipe, changes)
    return load.recipe_out(reg, updated)


def users_of(reg: Registry, recipe_id: str) -> dict[str, list[str]]:
    """Models, runs and child recipes that still use a recipe."""
    return {
        "models": [m.id for m in load.models_where(reg, recipe_id=recipe_id).all()],
        "runs": [r.id for r in load.runs_where(reg, recipe_id=recipe_id).all()],
        "recipes": [r.id for r in load.recipes_where(reg, parent_id=recipe_id).all()],
    }


def delete_recipe(reg: Registry, recipe_id: str) -> dict[str, Any]:
    """Delete a recipe that nothing uses; refused, naming the users, otherwise."""
    with reg.mutate(f"Delete recipe {recipe_id}") as m:
        load.recipe(reg, recipe_id)
        users = users_of(reg, recipe_id)
        if any(users.values()):
            named = "; ".join(
                f"{kind}: {', '.join(ids[:5])}{f' and {len(ids) - 5} more' if len(ids) > 5 else ''}"
                for kind, ids in users.items()
                if ids
            )
            raise Conflict(
                f"recipe {recipe_id} is still used ({named})",
                action="archive it instead: "
                f"modelyard recipes update {recipe_id} --status archived",
            )
        m.delete_tree(layout.recipe_dir(recipe_id))
    return {"deleted": True, "id": recipe_id}


def clone_recipe(
    reg: Registry, recipe_id: str, name: str | None, level: str | None = None
) -> RecipeOut:
    """A child of the source pinned to its current version, with no overrides: the same
    resolved manifest, a new lineage, status draft."""
    if not name:
        raise ValidationFailed(
            [FieldError(("query", "name"), "field required", "value_error.missing")]
        )
    source = load.recipe(reg, recipe_id)
    lvl = parse_enum(RecipeLevel, level, "level") or source.level
    body: dict[str, Any] = {
        "name": name,
        "model_family": source.model_family,
        "level": lvl,
        "parent_id": source.id,
        "tags": list(source.tags),
        "manifest": {},
        "description": source.description,
        "change_note": f"Clone {source.id} as {name!r}",
    }
    from modelyard.domain.requests import RecipeCreate

    try:
        return create_recipe(reg, parse_body(RecipeCreate, body))
    except ValidationFailed as exc:
        # name and level came as query parameters: say so
        raise ValidationFailed(
            [
                FieldError(("query", *e.loc[1:]), e.msg, e.type)
                if e.loc[1:2] in (("name",), ("level",))
                # the parent is the recipe in the path
                else FieldError(("path", "recipe_id"), e.msg, e.type)
                if e.loc == ("body", "parent_id")
                else e
                for e in exc.errors
            ]
        ) from None


def resolved_manifest(reg: Registry, recipe_id: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The recipe's current resolved manifest and, for every value, the recipe that set it."""
    load.recipe(reg, recipe_id)
    from modelyard.ops.manifests import Resolver

    return Resolver(reg).current(recipe_id)
