"""What a change does beyond the files it touches, for review (docs/promotion.md, "Reviews
that show impact"): every descendant of a changed recipe whose resolved manifest would change
once it follows the new version, and every model whose current status its gate would no
longer pass when a gate changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from modelyard.domain.records import RegistrySettings
from modelyard.domain.resolve import resolve
from modelyard.domain.semver import bump, manifest_diff
from modelyard.errors import ModelyardError
from modelyard.storage import layout
from modelyard.validate.context import Context
from modelyard.validate.tree import MODEL_FILES, RECIPE_FILES


@dataclass
class DescendantImpact:
    """A descendant of `changed` whose resolved manifest changes once every link from
    `changed` down to it follows the current versions."""

    recipe_id: str
    changed: str  # the recipe the change edits
    path: list[str]  # changed -> ... -> recipe_id
    version: str  # the descendant's current version
    pinned: str  # its own pin, `parent@version`
    changes: list[dict[str, Any]] = field(default_factory=list)
    required_bump: str | None = None

    @property
    def next_version(self) -> str:
        return bump(self.version, self.required_bump or "patch")

    def as_json(self) -> dict[str, Any]:
        return {
            "recipe_id": self.recipe_id,
            "changed": self.changed,
            "path": self.path,
            "version": self.version,
            "pinned": self.pinned,
            "required_bump": self.required_bump,
            "next_version": self.next_version,
            "changes": self.changes,
        }


@dataclass
class GateImpact:
    """A model whose current status its gate, as the change declares it, would not pass."""

    model_id: str
    status: str
    source: str | None
    unmet: list[str]
    passed_before: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "model_id": self.model_id,
            "status": self.status,
            "source": self.source,
            "unmet": self.unmet,
            "passed_before": self.passed_before,
        }


def descendants(ctx: Context, recipe_id: str) -> list[list[str]]:
    """Paths `[recipe_id, child, ..., descendant]` to every descendant, level by level (one
    `git grep` per level)."""
    out: list[list[str]] = []
    frontier = [[recipe_id]]
    seen = {recipe_id}
    while frontier:
        users = ctx.tree.users("parent_id", {p[-1] for p in frontier}, RECIPE_FILES)
        nxt = []
        for path in frontier:
            for rel in users.get(path[-1], []):
                child = rel.split("/")[1]
                if child not in seen:
                    seen.add(child)
                    nxt.append([*path, child])
        out.extend(nxt)
        frontier = nxt
    return out


def descendant_impacts(
    ctx: Context, changed: list[str], breaking_paths: tuple[str, ...]
) -> list[DescendantImpact]:
    out: list[DescendantImpact] = []
    for recipe_id in changed:
        try:
            top = ctx.resolver.layers(recipe_id)
        except ModelyardError:
            continue
        for path in descendants(ctx, recipe_id):
            leaf = path[-1]
            parsed = ctx.tree.manifest(leaf)
            mf = parsed.record if parsed is not None else None
            if mf is None or mf.extends is None:
                continue
            try:
                current = ctx.resolver.current(leaf)[0]
                layers = list(top)
                for rid in path[1:]:
                    own = ctx.tree.manifest(rid)
                    if own is None or own.record is None:
                        raise ModelyardError(f"{rid} cannot be read")
                    layers.append((rid, own.record.manifest))
                followed = resolve(layers)[0]
            except ModelyardError:
                continue
            diff = manifest_diff(current, followed, mf.version, breaking_paths) or {}
            if diff.get("changes"):
                out.append(
                    DescendantImpact(
                        leaf,
                        recipe_id,
                        path,
                        mf.version,
                        f"{mf.extends.recipe}@{mf.extends.version}",
                        diff["changes"],
                        diff.get("bump"),
                    )
                )
    return out


def gate_impacts(
    ctx: Context,
    base_settings: RegistrySettings,
    settings_changed: bool,
    recipes: dict[str, dict[str, Any]],
) -> list[GateImpact]:
    """Models in staging or production that the gates as changed would refuse, when
    modelyard.yaml's `promotion` changed (every such model) or a recipe's resolved
    `promotion` changed (`recipes`: recipe id -> its base manifest; that recipe's models)."""
    from modelyard.ops.gates import Checker

    now_settings = ctx.settings
    if settings_changed and base_settings.promotion == now_settings.promotion:
        settings_changed = False
    touched = {
        rid
        for rid, old in recipes.items()
        if (old.get("promotion") or None) != (_current_promotion(ctx, rid))
    }
    if not settings_changed and not touched:
        return []
    after = Checker(ctx.reg, now_settings, resolver=ctx.resolver)
    before = Checker(ctx.reg, base_settings, now=after.now, resolver=ctx.resolver)
    before.policy_manifests.update(recipes)
    out: list[GateImpact] = []
    if settings_changed:
        model_ids = ctx.tree.model_ids()
    else:
        users = ctx.tree.users("recipe_id", touched, MODEL_FILES)
        model_ids = sorted({rel.split("/")[1] for rels in users.values() for rel in rels})
    for model_id in model_ids:
        parsed = ctx.tree.model(model_id)
        model = parsed.record if parsed is not None else None
        if model is None or str(model.status) not in ("staging", "production"):
            continue
        try:
            verdict = after.verdict(model, str(model.status))
            if not verdict.gated or verdict.passed:
                continue
            was = before.verdict(model, str(model.status)).passed
        except ModelyardError:
            continue
        impact = GateImpact(
            model.id,
            str(model.status),
            verdict.source,
            [f"{c.name}: {c.message}" for c in verdict.unmet],
            was,
        )
        out.append(impact)
        ctx.out.warning(
            "gate-impact",
            ctx.display(str(layout.model_file(model.id))),
            f"{model.id} is in {model.status}, and the {model.status} gate as changed "
            f"({verdict.source}) would not let it in"
            + (" (the base's gate does)" if was else "")
            + ": "
            + "; ".join(impact.unmet),
            parsed.where("status") if parsed is not None else None,
            "status",
        )
    return out


def _current_promotion(ctx: Context, recipe_id: str) -> Any:
    try:
        return ctx.resolver.current(recipe_id)[0].get("promotion") or None
    except ModelyardError:
        return None
