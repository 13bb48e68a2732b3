"""Rolling production back: the previous production model of the same recipe returns, the
current one goes back to staging, in one commit (docs/promotion.md, "Rollback")."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modelyard.domain.enums import ModelStatus
from modelyard.domain.lifecycle import model_table, transition_problem
from modelyard.domain.records import Model
from modelyard.errors import Conflict
from modelyard.ops import gates, load
from modelyard.ops.common import parse_body
from modelyard.ops.model_history import status_history
from modelyard.storage import files, layout
from modelyard.storage.registry import Registry

if TYPE_CHECKING:
    from modelyard.domain.requests import ModelRollback


def previous_production(reg: Registry, model: Model) -> Model | None:
    """The model of the same recipe that entered production most recently before `model`
    did, and is not in production (or retired) now."""
    history = status_history(reg)
    mine = [c.at for c in history.get(model.id, []) if c.status == ModelStatus.production]
    since = mine[-1] if mine else None
    best: tuple[str, Model] | None = None
    for other in load.models_where(reg, recipe_id=model.recipe_id).all():
        if other.id == model.id or other.status in (ModelStatus.production, ModelStatus.retired):
            continue
        entered = [
            c.at
            for c in history.get(other.id, [])
            if c.status == ModelStatus.production and (since is None or c.at <= since)
        ]
        if entered and (best is None or entered[-1] > best[0]):
            best = (entered[-1], other)
    return best[1] if best else None


def rollback(
    reg: Registry, model_id: str, body: ModelRollback | dict[str, Any] | None = None
) -> dict[str, Any]:
    """Put back the previous production model of `model_id`'s recipe and move `model_id` from
    production to staging, in one commit. The returning model's production gate is checked
    (or overridden with a reason). Returns {"restored": model, "demoted": model, "commit"}."""
    from modelyard.domain.requests import ModelRollback

    req = parse_body(ModelRollback, body or {})
    with reg.mutate("", author=req.updated_by) as m:
        current = load.model(reg, model_id)
        if current.status != ModelStatus.production:
            raise Conflict(
                f"model {model_id} is {current.status}, not in production; only a production "
                "model can be rolled back"
            )
        back = previous_production(reg, current)
        if back is None:
            raise Conflict(
                f"no earlier production model of {current.recipe_id} to put back "
                f"(one that was in production before {model_id} and is not retired)",
                action=f"demote it instead: modelyard models update {model_id} --status staging",
            )
        table = model_table(reg.settings.model_transitions)
        for who, old, new in (
            (current, current.status, ModelStatus.staging),
            (back, back.status, ModelStatus.production),
        ):
            problem = transition_problem("model", old, new, table)
            if problem:
                raise Conflict(f"{who.id}: {problem}")
        trailers = gates.enforce(
            reg, back, back.status, ModelStatus.production, req.override_gate, req.reason
        )
        restored = back.model_copy(update={"status": ModelStatus.production, "updated_at": m.date})
        demoted = current.model_copy(update={"status": ModelStatus.staging, "updated_at": m.date})
        for record in (restored, demoted):
            rel = str(layout.model_file(record.id))
            m.write(rel, files.render(record, "model", rel))
        m.message = gates.with_trailers(
            f"Roll back {current.recipe_id}: {back.id} {back.status} -> production, "
            f"{model_id} production -> staging",
            [*trailers, f"Rollback-Of: {model_id}"],
        )
    return {
        "restored": restored.model_dump(mode="json"),
        "demoted": demoted.model_dump(mode="json"),
        "commit": m.sha,
    }
