"""Model health: the latest snapshot against the recipe's monitoring thresholds, metric
trends, alerts, and a model against its recipe's acceptance thresholds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from modelyard.chat import commands
from modelyard.chat.draft import Draft, plural
from modelyard.chat.knowledge import Knowledge
from modelyard.domain.manifest import Threshold
from modelyard.domain.numbers import num
from modelyard.domain.records import MonitoringSnapshot, Run
from modelyard.domain.timefmt import iso, parse_iso


def model_manifest(kb: Knowledge, model_id: str) -> dict[str, Any]:
    """The resolved manifest of the recipe version a model was built from (current one as
    fallback)."""
    m = kb.models[model_id]
    if m.recipe_id not in kb.recipes:
        return {}
    return kb.manifest_of_version(m.recipe_id, m.recipe_version_id) or kb.resolved(m.recipe_id)[0]


def threshold(bound: dict[str, Any]) -> Threshold:
    """A `{min, max}` mapping of a resolved manifest as the domain's Threshold, which says
    whether a value passes and how the bound reads. Constructed, not validated: the manifest
    was checked when it was committed, and a hand-edited one must not stop the answer."""
    return Threshold.model_construct(min=bound.get("min"), max=bound.get("max"))


@dataclass
class AlertState:
    snapshot: MonitoringSnapshot
    recorded: list[str] = field(default_factory=list)
    recorded_drift: list[str] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)
    performance: list[str] = field(default_factory=list)
    freshness: list[str] = field(default_factory=list)

    def items(self) -> list[str]:
        return self.recorded + self.drift + self.performance + self.freshness

    def drift_items(self) -> list[str]:
        return self.recorded_drift + self.drift


def alert_state(kb: Knowledge, model_id: str) -> AlertState | None:
    """What is wrong in a model's latest snapshot (None when it has none)."""
    snaps = kb.snapshots(model_id)
    if not snaps:
        return None
    snap = snaps[0]
    manifest = model_manifest(kb, model_id)
    mon = manifest.get("monitoring") or {}
    drift_names = set(mon.get("drift") or {}) | set(snap.drift_metrics_json)
    state = AlertState(snap)
    for key, value in sorted(snap.alerts_json.items()):
        line = f"alert {key}: {value if not isinstance(value, dict | list) else _flat(value)}"
        state.recorded.append(line)
        text = f"{key} {_flat(value)}".lower()
        if "drift" in text or any(n.lower() in text for n in drift_names):
            state.recorded_drift.append(line)
    for metric, levels in sorted((mon.get("drift") or {}).items()):
        value = snap.drift_metrics_json.get(metric)
        if value is None:
            continue
        if value >= levels["alert"]:
            state.drift.append(
                f"drift {metric} {num(value)} is at or above its alert level {num(levels['alert'])}"
            )
        elif value >= levels["warn"]:
            state.drift.append(
                f"drift {metric} {num(value)} is at or above its warn level {num(levels['warn'])}"
            )
    for metric, bound in sorted((mon.get("performance") or {}).items()):
        value = snap.performance_metrics_json.get(metric)
        rule = threshold(bound)
        if value is not None and not rule.passes(value):
            state.performance.append(f"{metric} {num(value)} breaks {rule.describe(metric)}")
    age = freshness_hours(snap)
    limit = (mon.get("freshness") or {}).get("max_age_hours")
    if age is not None and limit is not None and age > limit:
        state.freshness.append(
            f"data {num(round(age, 1))} hours old at capture, over the {num(limit)} hour limit"
        )
    return state


def freshness_hours(snap: MonitoringSnapshot) -> float | None:
    last = snap.data_freshness_json.get("last_update")
    if not isinstance(last, str):
        return None
    try:
        when: datetime = parse_iso(last)
    except (ValueError, TypeError):
        return None
    return (snap.captured_at - when).total_seconds() / 3600


def _flat(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {_flat(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_flat(v) for v in value)
    return num(value) if isinstance(value, int | float) else str(value)


def model_health(kb: Knowledge, model_id: str, draft: Draft) -> None:
    m = kb.models[model_id]
    draft.cite("model", model_id)
    draft.focus["model_id"] = model_id
    snaps = kb.snapshots(model_id)
    draft.say(
        f'{model_id} "{m.name}" is in {m.status}, built from {m.recipe_version_id}; '
        f"{plural(len(snaps), 'monitoring snapshot')}."
    )
    draft.step(commands.list_snapshots(model_id))
    if not snaps:
        draft.say("It has no monitoring snapshot yet, so there is nothing to judge its health by.")
        draft.step(commands.record_snapshot(model_id))
        return
    state = alert_state(kb, model_id)
    assert state is not None
    snap = state.snapshot
    draft.cite_ref(kb.snapshot_ref(snap))
    manifest = model_manifest(kb, model_id)
    mon = manifest.get("monitoring") or {}
    draft.say(f"Latest snapshot {snap.id}, captured {iso(snap.captured_at)}:")
    for metric, value in sorted(snap.performance_metrics_json.items()):
        bound = (mon.get("performance") or {}).get(metric)
        verdict = ""
        if bound is not None:
            rule = threshold(bound)
            verdict = f" ({'within' if rule.passes(value) else 'breaks'} {rule.describe(metric)})"
        draft.item(f"{metric} {num(value)}{verdict}")
    for metric, value in sorted(snap.drift_metrics_json.items()):
        levels = (mon.get("drift") or {}).get(metric)
        verdict = ""
        if levels:
            level = (
                "alert" if value >= levels["alert"] else "warn" if value >= levels["warn"] else "ok"
            )
            verdict = f" ({level}: warn at {num(levels['warn'])}, alert at {num(levels['alert'])})"
        draft.item(f"drift {metric} {num(value)}{verdict}")
    age = freshness_hours(snap)
    if age is not None:
        draft.item(
            f"data last updated {snap.data_freshness_json['last_update']}, "
            f"{num(round(age, 1))} hours before capture"
        )
    problems = state.items()
    if problems:
        draft.say(f"{plural(len(problems), 'problem')}: " + "; ".join(problems) + ".")
        recipe = kb.recipes.get(m.recipe_id)
        if recipe and m.status != "retired":
            draft.step(
                commands.create_run(
                    recipe.id, recipe.version_id or m.recipe_version_id, "train", model_id
                )
            )
    else:
        draft.say("No alerts, and nothing crosses the recipe's monitoring thresholds.")


def trend(kb: Knowledge, model_id: str, metric: str | None, draft: Draft) -> None:
    snaps = list(reversed(kb.snapshots(model_id)))
    draft.cite("model", model_id)
    draft.focus["model_id"] = model_id
    draft.step(commands.list_snapshots(model_id, limit=max(10, len(snaps))))
    names = sorted({k for s in snaps for k in (*s.performance_metrics_json, *s.drift_metrics_json)})
    if metric is None or metric not in names:
        if not names:
            draft.say(
                f"{model_id} has no monitoring snapshots with metrics, "
                "so there is no trend to show."
            )
            return
        asked = f"{metric} is not measured in the snapshots of {model_id}. " if metric else ""
        metric = (
            names[0]
            if len(names) == 1
            else next((n for n in names if n in _first_perf(snaps)), names[0])
        )
        draft.say(f"{asked}Metrics tracked: {', '.join(names)}; showing {metric}.")
    points: list[tuple[MonitoringSnapshot, float]] = []
    for s in snaps:
        value = s.performance_metrics_json.get(metric, s.drift_metrics_json.get(metric))
        if value is not None:
            points.append((s, value))
    first, last = points[0][1], points[-1][1]
    change = last - first
    direction = "rose" if change > 0 else "fell" if change < 0 else "did not change"
    draft.say(
        f"{metric} of {model_id} over {plural(len(points), 'snapshot')}: "
        f"{direction} from {num(first)} "
        f"({iso(points[0][0].captured_at)}) to {num(last)} ({iso(points[-1][0].captured_at)})."
    )
    for s, v in points:
        draft.item(f"{iso(s.captured_at)}  {metric} {num(v)}  ({s.id})")
        draft.cite_ref(kb.snapshot_ref(s))


def _first_perf(snaps: list[MonitoringSnapshot]) -> list[str]:
    return sorted(snaps[-1].performance_metrics_json) if snaps else []


def acceptance(kb: Knowledge, model_id: str, draft: Draft) -> None:
    """A model against its recipe version's acceptance thresholds: its newest measured run and
    snapshot."""
    m = kb.models[model_id]
    draft.cite("model", model_id)
    draft.focus["model_id"] = model_id
    manifest = model_manifest(kb, model_id)
    bounds: dict[str, dict[str, Any]] = (manifest.get("evaluation") or {}).get("acceptance") or {}
    if m.recipe_id in kb.recipes:
        draft.cite("recipe", m.recipe_id)
    if not bounds:
        draft.say(
            f"The recipe version {m.recipe_version_id} of {model_id} sets no acceptance thresholds "
            "(evaluation.acceptance), so there is nothing to check it against."
        )
        return
    draft.say(
        f"Acceptance thresholds of {m.recipe_version_id}: "
        + "; ".join(threshold(b).describe(k) for k, b in sorted(bounds.items()))
        + "."
    )
    run = _latest_measured(kb, model_id, set(bounds))
    verdicts = []
    if run is not None:
        draft.cite("run", run.id)
        draft.say(
            f"Newest succeeded run with these metrics: "
            f"{run.id} ({run.run_type}, {iso(run.created_at)}):"
        )
        verdicts += _judge(draft, run.metrics_json, bounds)
        draft.step(commands.show_run(run.id))
    else:
        draft.say(f"No succeeded run of {model_id} reports {', '.join(sorted(bounds))}.")
    snaps = kb.snapshots(model_id)
    if snaps and set(bounds) & set(snaps[0].performance_metrics_json):
        draft.cite_ref(kb.snapshot_ref(snaps[0]))
        draft.say(f"Latest monitoring snapshot {snaps[0].id} ({iso(snaps[0].captured_at)}):")
        verdicts += _judge(draft, snaps[0].performance_metrics_json, bounds)
    if verdicts:
        failed = [v for v in verdicts if not v]
        draft.say(
            "It meets every acceptance threshold measured."
            if not failed
            else f"It misses {plural(len(failed), 'acceptance check')}."
        )
    recipe = kb.recipes.get(m.recipe_id)
    if recipe is not None:
        draft.step(commands.create_run(recipe.id, m.recipe_version_id, "eval", model_id))


def _judge(
    draft: Draft, metrics: dict[str, float], bounds: dict[str, dict[str, Any]]
) -> list[bool]:
    out = []
    for metric, bound in sorted(bounds.items()):
        value = metrics.get(metric)
        if value is None:
            draft.item(f"{metric}: not measured")
            continue
        rule = threshold(bound)
        ok = rule.passes(value)
        out.append(ok)
        draft.item(f"{metric} {num(value)}: {'passes' if ok else 'fails'} {rule.describe(metric)}")
    return out


def _latest_measured(kb: Knowledge, model_id: str, metrics: set[str]) -> Run | None:
    return next(
        (
            r
            for r in kb.runs
            if r.model_id == model_id and r.status == "succeeded" and metrics & set(r.metrics_json)
        ),
        None,
    )
