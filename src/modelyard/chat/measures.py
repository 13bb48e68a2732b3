"""Numbers of one metric: a model's value now (latest snapshot and newest run), the mean,
lowest and highest over its snapshots or its runs, and models ranked by it."""

from __future__ import annotations

from modelyard.chat import judge
from modelyard.chat.draft import Draft
from modelyard.chat.health import model_manifest
from modelyard.chat.knowledge import Knowledge
from modelyard.chat.understand import Question
from modelyard.domain.records import Run


def aggregate(kb: Knowledge, q: Question, model_id: str) -> Draft:
    """The mean, lowest and highest of a metric over a model's monitoring snapshots."""
    d = Draft(kb, "health")
    d.cite("model", model_id)
    d.focus["model_id"] = model_id
    snaps = kb.snapshots(model_id)
    metric = q.metrics[0] if q.metrics else None
    if metric is None:
        d.answered = False
        d.say("Which metric? Name one, e.g. MAPE or PSI.")
        return d
    if "run" in q.subjects or q.run_types:
        return aggregate_runs(kb, q, model_id, metric, d)
    values = [
        v
        for s in snaps
        if (v := s.performance_metrics_json.get(metric, s.drift_metrics_json.get(metric)))
        is not None
    ]
    if not values:
        d.answered = False
        d.say(f"I can't: no monitoring snapshot of {model_id} records {metric}.")
        return d
    mean = sum(values) / len(values)
    d.say(
        f"{metric} over {len(values)} monitoring snapshots of {model_id}: mean {mean:.4g}, "
        f"lowest {min(values)}, highest {max(values)} (first {values[-1]}, latest {values[0]})."
    )
    return d


def aggregate_runs(kb: Knowledge, q: Question, model_id: str, metric: str, d: Draft) -> Draft:
    """The mean, lowest and highest of a metric over a model's runs (of the types asked)."""
    runs = [
        r
        for r in kb.runs
        if r.model_id == model_id
        and metric in r.metrics_json
        and (not q.run_types or r.run_type in q.run_types)
    ]
    kinds = " ".join(sorted(q.run_types))
    of = f"{kinds} runs" if kinds else "runs"
    if not runs:
        d.answered = False
        d.say(f"I can't: no {of} of {model_id} report {metric}.")
        return d
    values = [r.metrics_json[metric] for r in runs]
    mean = sum(values) / len(values)
    d.say(
        f"{metric} over {len(values)} {of} of {model_id}: mean {mean:.4g}, "
        f"lowest {min(values)}, highest {max(values)}."
    )
    for r in runs:
        d.item(f"{r.id} ({r.run_type}, {r.status}): {metric} {r.metrics_json[metric]}")
        d.cite("run", r.id)
    return d


def metric_now(kb: Knowledge, metric: str, model_id: str) -> Draft:
    """A metric of one model: its latest snapshot's value and its newest run's."""
    d = Draft(kb, "health")
    d.cite("model", model_id)
    d.focus["model_id"] = model_id
    said = False
    for s in kb.snapshots(model_id):
        value = s.performance_metrics_json.get(metric, s.drift_metrics_json.get(metric))
        if value is not None:
            d.say(
                f"{metric} of {model_id} in its latest snapshot with it "
                f"({s.id}, {s.captured_at:%Y-%m-%d}): {value}."
            )
            d.cite_ref(kb.snapshot_ref(s))
            said = True
            break
    run = newest_with(kb, model_id, metric)
    if run is not None:
        d.say(
            f"{metric} in its newest succeeded run that reports it "
            f"({run.id}, {run.run_type}): {run.metrics_json[metric]}."
        )
        d.cite("run", run.id)
        said = True
    if not said:
        d.answered = False
        d.say(f"I can't: neither a snapshot nor a run of {model_id} records {metric}.")
    return d


def newest_with(kb: Knowledge, model_id: str, metric: str) -> Run | None:
    return next(
        (
            r
            for r in kb.runs
            if r.model_id == model_id and r.status == "succeeded" and metric in r.metrics_json
        ),
        None,
    )


def rank(kb: Knowledge, metric: str, lowest: bool) -> Draft:
    """Models by a metric of their newest succeeded run that reports it, with the caveat
    that one number across different data is not a verdict."""
    d = Draft(kb, "compare")
    rows = [
        (run.metrics_json[metric], m.id, run)
        for m in kb.models.values()
        if (run := newest_with(kb, m.id, metric)) is not None
    ]
    rows.sort(key=lambda r: (r[0] if lowest else -r[0], r[1]))
    families = {kb.models[m].model_family for _, m, _ in rows}
    if len(families) > 1:
        d.say(
            f"I can't say one model is better from this: {metric} of different families "
            "is measured on different data."
        )
    d.say(
        f"Ranked by {metric} of their newest succeeded run that reports it, "
        f"{'lowest' if lowest else 'highest'} first:"
    )
    for value, model_id, run in rows:
        d.item(f"{model_id}: {metric} {value} ({run.id}, {run.run_type})")
        d.cite("model", model_id)
        d.cite("run", run.id)
    if not rows:
        d.answered = False
        d.say(f"No succeeded run of any model reports {metric}.")
    return d


def lowest_first(kb: Knowledge, metric: str, words: set[str]) -> bool:
    """ "Lowest" and "highest" say it; "best" and "worst" take the direction the recipes'
    thresholds give the metric (a `max` bound: lower is better)."""
    if words & {"lowest", "highest"}:
        return "lowest" in words
    ways = {judge.direction(model_manifest(kb, m.id), metric) for m in kb.models.values()} - {None}
    lower_better = ways == {"lower"}
    return lower_better if "best" in words or "top" in words else not lower_better
