"""Judgements across records: stale data against each recipe's own freshness limit, which
models have no monitoring, two records of a kind side by side, and whether one model is
better than another (their newest measured runs, by the direction each threshold gives)."""

from __future__ import annotations

from typing import Any

from modelyard.chat import commands
from modelyard.chat.draft import Draft, plural
from modelyard.chat.explain import change_text
from modelyard.chat.health import freshness_hours, model_manifest
from modelyard.chat.knowledge import Knowledge
from modelyard.domain.numbers import num
from modelyard.domain.records import Model, Run
from modelyard.domain.semver import manifest_diff
from modelyard.domain.timefmt import iso


def _models(kb: Knowledge, ids: list[str] | None) -> list[Model]:
    return [kb.models[i] for i in ids] if ids else list(kb.models.values())


def staleness(kb: Knowledge, ids: list[str] | None, draft: Draft) -> None:
    """Stale: the latest snapshot's data is older than the recipe's
    `monitoring.freshness.max_age_hours`."""
    stale: list[Any] = []
    fresh: list[Any] = []
    unknown: list[Model] = []
    no_limit: list[tuple[Model, float | None]] = []
    for m in _models(kb, ids):
        snaps = kb.snapshots(m.id)
        limit = ((model_manifest(kb, m.id).get("monitoring") or {}).get("freshness") or {}).get(
            "max_age_hours"
        )
        if not snaps:
            unknown.append(m)
            continue
        age = freshness_hours(snaps[0])
        if limit is None or age is None:
            no_limit.append((m, age))
            continue
        earlier = [(s, a) for s in snaps[1:] if (a := freshness_hours(s)) is not None and a > limit]
        (stale if age > limit else fresh).append((m, snaps[0], age, limit, earlier))
        draft.cite("model", m.id)
        draft.cite_ref(kb.snapshot_ref(snaps[0]))
    draft.say(
        "Stale here means the data in a model's latest monitoring snapshot is older than its "
        "recipe's monitoring.freshness.max_age_hours."
    )
    if stale:
        draft.say(f"{plural(len(stale), 'model')} {'is' if len(stale) == 1 else 'are'} stale:")
    elif fresh:
        draft.say(f"No model's data is stale now ({plural(len(fresh), 'model')} checked).")
    for m, snap, age, limit, earlier in stale + fresh:
        state = "stale" if age > limit else "fresh"
        draft.item(
            f"{m.id}: {state}, data {num(round(age, 1))} h old at {iso(snap.captured_at)} "
            f"(limit {num(limit)} h)"
            + (
                "; stale earlier at "
                + ", ".join(f"{s.id} ({num(round(a, 1))} h)" for s, a in earlier)
                if earlier
                else ""
            )
        )
    for m, age in no_limit:
        draft.item(
            f"{m.id}: its recipe version {m.recipe_version_id} sets no "
            "monitoring.freshness.max_age_hours, so I can't call its data stale or fresh"
            + (f" (latest snapshot: {num(round(age, 1))} h old)" if age is not None else "")
        )
    if unknown:
        draft.say(
            f"I can't tell for {plural(len(unknown), 'model')} without monitoring snapshots: "
            + ", ".join(m.id for m in unknown)
            + "."
        )


def monitoring_coverage(kb: Knowledge, without: bool, draft: Draft) -> None:
    """Which models have monitoring snapshots (or have none)."""
    has = [m for m in kb.models.values() if kb.snapshots(m.id)]
    lacks = [m for m in kb.models.values() if not kb.snapshots(m.id)]
    group = lacks if without else has
    draft.say(
        f"{plural(len(group), 'model')} of {len(kb.models)} "
        f"{'has' if len(group) == 1 else 'have'} "
        f"{'no' if without else ''} monitoring snapshots".replace("  ", " ")
        + "."
    )
    for m in group:
        snaps = kb.snapshots(m.id)
        extra = (
            f", {plural(len(snaps), 'snapshot')}, latest {iso(snaps[0].captured_at)}"
            if snaps
            else ""
        )
        draft.item(f"{m.id} ({m.status})" + extra)
        draft.cite("model", m.id)
    if without and group:
        draft.step(commands.record_snapshot(group[0].id))


def compare_recipes(kb: Knowledge, a: str, b: str, draft: Draft) -> None:
    """Two recipes' resolved manifests side by side: what the second has differently."""
    left, right = kb.resolved(a)[0], kb.resolved(b)[0]
    draft.cite("recipe", a)
    draft.cite("recipe", b)
    ra, rb = kb.recipes[a], kb.recipes[b]
    diff = manifest_diff(left, right, ra.version, tuple(kb.reg.settings.breaking_paths)) or {}
    changes = diff.get("changes") or []
    draft.say(
        f"{a} ({ra.level}, {ra.version}) and {b} ({rb.level}, {rb.version}): "
        f"{plural(len(changes), 'difference')} between their resolved manifests, "
        f"read from {a} to {b}."
    )
    for c in changes[:30]:
        draft.item(change_text(c))
    if rb.parent_id == a or ra.parent_id == b:
        child = b if rb.parent_id == a else a
        draft.say(
            f"{child} is a child of the other: these are its overrides and what its pin brings."
        )
    draft.step(commands.show_recipe(a))
    draft.step(commands.show_recipe(b))


def _newest_measured(kb: Knowledge, model_id: str) -> Run | None:
    return next(
        (
            r
            for r in kb.runs
            if r.model_id == model_id and r.status == "succeeded" and r.metrics_json
        ),
        None,
    )


def direction(manifest: dict[str, Any], metric: str) -> str | None:
    """ "lower" or "higher" is better, from the bound the recipe puts on the metric."""
    mon = manifest.get("monitoring") or {}
    for group in (
        (manifest.get("evaluation") or {}).get("acceptance") or {},
        mon.get("performance") or {},
    ):
        bound = group.get(metric)
        if isinstance(bound, dict):
            if "max" in bound and "min" not in bound:
                return "lower"
            if "min" in bound and "max" not in bound:
                return "higher"
    return None


def compare_models(kb: Knowledge, a: str, b: str, draft: Draft) -> None:
    """Is `a` better than `b`? Their newest succeeded runs with metrics, metric by metric,
    each judged by the direction its threshold gives."""
    ma, mb = kb.models[a], kb.models[b]
    draft.focus["model_id"] = a  # "the other one" is then b
    for m in (ma, mb):
        draft.cite("model", m.id)
    ra, rb = _newest_measured(kb, a), _newest_measured(kb, b)
    if ra is None or rb is None:
        lacking = [m.id for m, r in ((ma, ra), (mb, rb)) if r is None]
        draft.say(
            f"I can't compare them: {', '.join(lacking)} "
            f"{'has' if len(lacking) == 1 else 'have'} no succeeded run with metrics."
        )
        return
    draft.cite("run", ra.id)
    draft.cite("run", rb.id)
    manifest = model_manifest(kb, a)
    shared = sorted(set(ra.metrics_json) & set(rb.metrics_json))
    draft.say(
        f"{a} ({ma.status}, {ma.recipe_version_id}) against {b} ({mb.status}, "
        f"{mb.recipe_version_id}), on their newest succeeded runs: {ra.id} ({ra.run_type}, "
        f"{iso(ra.created_at)}) and {rb.id} ({rb.run_type}, {iso(rb.created_at)})."
    )
    wins = losses = 0
    for metric in shared:
        va, vb = ra.metrics_json[metric], rb.metrics_json[metric]
        way = direction(manifest, metric)
        if way is None or va == vb:
            verdict = "no threshold says which way is better" if way is None else "equal"
        else:
            better = (va < vb) if way == "lower" else (va > vb)
            wins, losses = wins + better, losses + (not better)
            verdict = f"{way} is better: {a if better else b}"
        draft.item(f"{metric}: {num(va)} against {num(vb)} ({verdict})")
    if not shared:
        draft.say("Their runs report no metric in common, so I can't say which is better.")
    elif losses == 0 and wins:
        draft.say(f"On these runs {a} is better on every metric with a direction ({wins}).")
    elif wins == 0 and losses:
        draft.say(f"On these runs {a} is worse on every metric with a direction ({losses}).")
    else:
        draft.say(f"Mixed: {a} is better on {wins} and worse on {losses}.")
    failed = [r for r in kb.runs if r.model_id in (a, b) and r.status == "failed"]
    for r in failed[:3]:
        draft.say(f"Note: {r.id} ({r.run_type} of {r.model_id}, {iso(r.created_at)}) failed.")
        draft.cite("run", r.id)
    draft.say(
        "This compares recorded runs only; whether to promote is a decision for the model's owners."
    )


def challenger_pair(
    kb: Knowledge, q_models: list[str], families: set[str]
) -> tuple[str, str] | None:
    """(challenger, production model) of one recipe: a staging model whose recipe also has a
    production model, narrowed by the models and families the question names."""
    pairs = []
    for m in kb.models.values():
        if m.status != "staging":
            continue
        champs = [
            p
            for p in kb.models.values()
            if p.status == "production" and p.recipe_id == m.recipe_id and p.id != m.id
        ]
        for p in champs:
            if families and m.model_family not in families:
                continue
            if q_models and not ({m.id, p.id} & set(q_models)):
                continue
            pairs.append((m.id, p.id))
    return pairs[0] if len(pairs) == 1 else None
