"""Models: list, get, register, update."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modelyard.domain.enums import ModelFamily, ModelStatus, RecipeStatus
from modelyard.domain.ids import id_from_name
from modelyard.domain.lifecycle import model_table, transition_problem
from modelyard.domain.records import Model, ModelList
from modelyard.errors import Conflict
from modelyard.ops import gates, load, refs
from modelyard.ops.common import check_page, describe_update, parse_body, parse_enum
from modelyard.storage import files, layout
from modelyard.storage.registry import Registry

if TYPE_CHECKING:
    # request bodies are imported where one is parsed, so a listing does not build
    # their classes
    from modelyard.domain.requests import ModelCreate, ModelUpdate


def list_models(
    reg: Registry,
    model_family: str | None = None,
    status: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
    recipe_id: str | None = None,
    owner: str | None = None,
    as_of: str | None = None,
) -> ModelList:
    """Models matching every given filter, by id; with `as_of`, as the registry held them
    then, read from git (ops/asof.py)."""
    family = parse_enum(ModelFamily, model_family, "model_family")
    st = parse_enum(ModelStatus, status, "status")
    limit, offset = check_page(limit, offset)
    if as_of:  # an empty value is no date, as an empty filter is no filter
        from modelyard.ops import asof

        return asof.models_at(reg, as_of, family, st, recipe_id, owner, limit, offset)
    hits = load.models_where(reg, model_family=family, status=st, recipe_id=recipe_id, owner=owner)
    return ModelList(models=hits.page(offset, limit), total=len(hits))


def get_model(reg: Registry, model_id: str) -> Model:
    """One model."""
    return load.model(reg, model_id)


def _production_gate(reg: Registry, model: Model, status: ModelStatus) -> None:
    if status != ModelStatus.production or not reg.settings.require_approved_recipe_for_production:
        return
    recipe = load.recipe(reg, model.recipe_id)
    if recipe.status != RecipeStatus.approved:
        raise Conflict(
            f"model {model.id} cannot go to production: "
            f"its recipe {recipe.id} is {recipe.status}, not approved",
            action="approve the recipe first: "
            f"modelyard recipes update {recipe.id} --status approved",
        )


def register_model(reg: Registry, body: ModelCreate | dict[str, Any]) -> Model:
    """Register a model built from a committed version of a recipe (status draft unless given)."""
    from modelyard.domain.requests import ModelCreate

    req = parse_body(ModelCreate, body)
    with reg.mutate("", author=req.owner) as m:
        now = m.date
        recipe = load.recipe(reg, req.recipe_id)
        if recipe.status == RecipeStatus.archived:
            raise Conflict(f"recipe {recipe.id} is archived; models cannot be registered from it")
        version = refs.recipe_version(reg, recipe.id, req.recipe_version_id)
        taken = set(reg.ids_in(layout.MODELS))
        if req.id is not None and req.id in taken:
            raise Conflict(f"model {req.id} already exists")
        model_id = req.id or id_from_name("model", req.name, taken)
        trailers: list[str] = []
        model = Model(
            id=model_id,
            name=req.name,
            model_family=recipe.model_family,
            recipe_id=recipe.id,
            recipe_version_id=version,
            status=ModelStatus.draft,
            owner=req.owner,
            description=req.description,
            created_at=now,
            updated_at=now,
        )
        if req.status is not None and req.status != ModelStatus.draft:
            problem = transition_problem(
                "model", ModelStatus.draft, req.status, model_table(reg.settings.model_transitions)
            )
            if problem:
                raise Conflict(problem)
            _production_gate(reg, model, req.status)
            trailers = gates.enforce(
                reg, model, ModelStatus.draft, req.status, req.override_gate, req.reason
            )
            model = model.model_copy(update={"status": req.status})
        elif req.reason:
            trailers = [f"Reason: {req.reason}"]
        rel = str(layout.model_file(model_id))
        m.write(rel, files.render(model, "model", rel))
        m.message = gates.with_trailers(f"Register model {model_id} from {version}", trailers)
    return model


def update_model(reg: Registry, model_id: str, body: ModelUpdate | dict[str, Any]) -> Model:
    """Rename, change owner, or move the status along its lifecycle."""
    from modelyard.domain.requests import ModelUpdate

    req = parse_body(ModelUpdate, body)
    with reg.mutate("", author=req.updated_by) as m:
        model = load.model(reg, model_id)
        changes: dict[str, Any] = {}
        trailers: list[str] = []
        if req.status is not None and req.status != model.status:
            problem = transition_problem(
                "model", model.status, req.status, model_table(reg.settings.model_transitions)
            )
            if problem:
                raise Conflict(problem)
            _production_gate(reg, model, req.status)
            trailers = gates.enforce(
                reg, model, model.status, req.status, req.override_gate, req.reason
            )
            changes["status"] = req.status
        elif req.override_gate:
            raise Conflict(
                "override_gate applies to a status change, and this update changes no status"
            )
        elif req.reason:
            trailers = [f"Reason: {req.reason}"]
        for name in ("name", "owner", "description"):
            value = getattr(req, name)
            if value is not None and value != getattr(model, name):
                changes[name] = value
        if not changes:
            return model
        updated = Model.model_validate({**model.model_dump(), **changes, "updated_at": m.date})
        rel = str(layout.model_file(model_id))
        m.write(rel, files.render(updated, "model", rel))
        m.message = gates.with_trailers(describe_update(model_id, model, changes), trailers)
    return updated
