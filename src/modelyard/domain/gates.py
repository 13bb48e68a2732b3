"""Promotion gates: what a model must show before it enters a status (docs/promotion.md).

A gate is declared per target status, in `modelyard.yaml` (`promotion.gates`, the defaults)
and in a recipe's manifest (`promotion.gates`, inherited and overridden like every other
manifest value). This module holds the declarations and the judgement, from facts the caller
gathers (runs, the champion, the latest snapshot); reading the registry is `ops.gates`'s."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from modelyard.domain.enums import RunStatus, RunType
from modelyard.domain.numbers import num


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class Evidence(_Strict):
    """A succeeded run of the model, of one of `run_types`, on the model's recipe version."""

    run_types: list[RunType] = Field(
        default_factory=lambda: [RunType.eval, RunType.backtest],
        min_length=1,
        description="Run types that count as evidence (any one of them), e.g. `[eval, backtest]`.",
    )
    max_age_days: float | None = Field(
        None, gt=0, description="The evidence run finished at most this many days ago."
    )


class MarginKind(StrEnum):
    absolute = "absolute"
    relative = "relative"


class Direction(StrEnum):
    LOWER = "lower"
    HIGHER = "higher"


class Champion(_Strict):
    """The challenger beats the model already in the target status (same recipe) on `metrics`
    by `margin`: absolute (in the metric's units) or relative (a fraction of the champion's
    value). Which way is better comes from the metric's acceptance threshold (`max` only:
    lower is better, `min` only: higher), or from `direction` when the threshold does not say."""

    metrics: list[str] = Field(min_length=1, description="Metrics compared, e.g. `[MAPE]`.")
    margin: float = Field(0, ge=0, description="How much better the challenger must be.")
    margin_kind: MarginKind = MarginKind.absolute
    direction: dict[str, Direction] = Field(
        default_factory=dict, description="`lower` or `higher` is better, by metric."
    )


class Gate(_Strict):
    """The conditions for entering one status. A condition left out is not checked."""

    evidence: Evidence | None = Field(None, description="A recent succeeded run is required.")
    thresholds: bool = Field(
        False, description="The evidence run meets the recipe version's `evaluation.acceptance`."
    )
    champion: Champion | None = Field(None, description="Beat the model already in the status.")
    no_alert: bool = Field(False, description="The latest monitoring snapshot shows no alert.")

    @property
    def empty(self) -> bool:
        return (
            self.evidence is None
            and not self.thresholds
            and self.champion is None
            and not self.no_alert
        )


class Promotion(_Strict):
    """A recipe's promotion policy: gates by target status (`staging`, `production`)."""

    gates: dict[str, Gate | None] = Field(
        default_factory=dict, description="Gates by target status; `null` removes an inherited one."
    )

    @model_validator(mode="after")
    def _statuses(self) -> Promotion:
        bad = [s for s in self.gates if s not in GATED_STATUSES]
        if bad:
            raise ValueError(
                f"no gate can be declared for {', '.join(map(repr, bad))} "
                f"(allowed: {', '.join(GATED_STATUSES)})"
            )
        return self


GATED_STATUSES = ("staging", "production")


# -- facts and the verdict -----------------------------------------------------------------


@dataclass(frozen=True)
class RunFact:
    """What the gate needs of a run."""

    id: str
    run_type: str
    status: str
    recipe_version_id: str
    finished_at: datetime | None
    created_at: datetime
    metrics: Mapping[str, float]

    @property
    def at(self) -> datetime:
        return self.finished_at or self.created_at


@dataclass
class Condition:
    """One condition of a gate: met or not, why, with the values and runs it looked at."""

    name: str  # evidence, thresholds, champion, monitoring
    met: bool
    message: str
    values: dict[str, Any] = field(default_factory=dict)
    runs: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "condition": self.name,
            "met": self.met,
            "message": self.message,
            "values": self.values,
            "runs": self.runs,
        }


@dataclass
class Verdict:
    """Whether `model_id` may enter `status`. `gated` is False when no gate applies."""

    model_id: str
    status: str
    gated: bool
    conditions: list[Condition] = field(default_factory=list)
    source: str | None = None  # where the gate is declared: `modelyard.yaml` or `recipe <id>`

    @property
    def passed(self) -> bool:
        return all(c.met for c in self.conditions)

    @property
    def unmet(self) -> list[Condition]:
        return [c for c in self.conditions if not c.met]

    def summary(self) -> str:
        """One paragraph: every unmet condition with its values (or that the gate passes)."""
        if not self.gated:
            return f"no gate applies to {self.model_id} entering {self.status}"
        if self.passed:
            return f"{self.model_id} passes the {self.status} gate"
        return f"{self.model_id} does not pass the {self.status} gate: " + "; ".join(
            f"{c.name}: {c.message}" for c in self.unmet
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "model_id": self.model_id,
            "status": self.status,
            "gated": self.gated,
            "source": self.source,
            "passed": self.passed,
            "conditions": [c.as_json() for c in self.conditions],
        }


@dataclass
class Facts:
    """Everything a gate is judged on, gathered by the caller."""

    model_id: str
    recipe_version_id: str
    now: datetime
    runs: list[RunFact]
    acceptance: Mapping[str, Any]  # metric -> Threshold (domain.manifest)
    champions: list[tuple[str, list[RunFact]]] = field(default_factory=list)
    alerts: Mapping[str, str] = field(default_factory=dict)  # name -> severity, latest snapshot
    snapshot_id: str | None = None


def judge(status: str, gate: Gate | None, facts: Facts) -> Verdict:
    """The verdict of `gate` for `facts.model_id` entering `status`."""
    if gate is None or gate.empty:
        return Verdict(facts.model_id, status, gated=False)
    verdict = Verdict(facts.model_id, status, gated=True)
    evidence = gate.evidence or Evidence()
    run, looked = _evidence_run(evidence, facts)
    if gate.evidence is not None:
        verdict.conditions.append(_evidence_condition(evidence, run, looked, facts))
    if gate.thresholds:
        verdict.conditions.append(_thresholds(run, facts))
    if gate.champion is not None:
        verdict.conditions.append(_champion(gate.champion, evidence, run, facts, status))
    if gate.no_alert:
        verdict.conditions.append(_monitoring(facts))
    return verdict


def _types(evidence: Evidence) -> str:
    return " or ".join(str(t) for t in evidence.run_types)


def _evidence_run(evidence: Evidence, facts: Facts) -> tuple[RunFact | None, list[str]]:
    """The newest run that counts as evidence, and why each other run of the model does not."""
    types = {str(t) for t in evidence.run_types}
    oldest = facts.now - timedelta(days=evidence.max_age_days) if evidence.max_age_days else None
    found: RunFact | None = None
    looked: list[str] = []
    for run in sorted(facts.runs, key=lambda r: (r.at, r.id), reverse=True):
        why = None
        if run.run_type not in types:
            why = f"a {run.run_type} run, not {_types(evidence)}"
        elif run.status != RunStatus.succeeded:
            why = f"{run.status}, not succeeded"
        elif run.recipe_version_id != facts.recipe_version_id:
            why = f"made on {run.recipe_version_id}, not the model's {facts.recipe_version_id}"
        elif oldest is not None and run.at < oldest:
            age = (facts.now - run.at).total_seconds() / 86400
            why = f"finished {num(round(age, 1))} days ago, more than {num(evidence.max_age_days)}"
        if why is None and found is None:
            found = run
            looked.append(f"{run.id}: counts")
        elif why is not None:
            looked.append(f"{run.id}: {why}")
    return found, looked


def _evidence_condition(
    evidence: Evidence, run: RunFact | None, looked: list[str], facts: Facts
) -> Condition:
    age = f" within {num(evidence.max_age_days)} days" if evidence.max_age_days else ""
    values: dict[str, Any] = {
        "run_types": [str(t) for t in evidence.run_types],
        "max_age_days": evidence.max_age_days,
        "recipe_version_id": facts.recipe_version_id,
        "looked_at": looked,
    }
    if run is not None:
        values["run"] = run.id
        return Condition(
            "evidence",
            True,
            f"{run.id} ({run.run_type}, succeeded on {facts.recipe_version_id})",
            values,
            [run.id],
        )
    seen = f" (looked at: {'; '.join(looked)})" if looked else " (the model has no runs)"
    return Condition(
        "evidence",
        False,
        f"no succeeded {_types(evidence)} run of {facts.model_id} on "
        f"{facts.recipe_version_id}{age}{seen}",
        values,
        [s.split(":")[0] for s in looked],
    )


def _thresholds(run: RunFact | None, facts: Facts) -> Condition:
    if not facts.acceptance:
        return Condition(
            "thresholds", True, f"{facts.recipe_version_id} declares no acceptance thresholds"
        )
    if run is None:
        return Condition(
            "thresholds",
            False,
            "no evidence run whose metrics could be checked against "
            + ", ".join(t.describe(m) for m, t in facts.acceptance.items()),
        )
    failed: list[str] = []
    values: dict[str, Any] = {}
    for metric, threshold in facts.acceptance.items():
        value = run.metrics.get(metric)
        values[metric] = value
        if value is None:
            failed.append(f"{run.id} reports no {metric} ({threshold.describe(metric)} required)")
        elif not threshold.passes(value):
            needs = threshold.describe(metric)
            failed.append(f"{metric} is {num(value)} in {run.id}, needs {needs}")
    if failed:
        return Condition("thresholds", False, "; ".join(failed), values, [run.id])
    met = ", ".join(f"{m} {num(values[m])}" for m in facts.acceptance)
    return Condition("thresholds", True, f"{run.id} meets them ({met})", values, [run.id])


def direction_of(metric: str, rule: Champion, acceptance: Mapping[str, Any]) -> Direction | None:
    """Which way is better for `metric`: declared, else from its acceptance threshold."""
    if metric in rule.direction:
        return rule.direction[metric]
    threshold = acceptance.get(metric)
    if threshold is None:
        return None
    if threshold.max is not None and threshold.min is None:
        return Direction.LOWER
    if threshold.min is not None and threshold.max is None:
        return Direction.HIGHER
    return None


def _champion(
    rule: Champion, evidence: Evidence, run: RunFact | None, facts: Facts, status: str
) -> Condition:
    if not facts.champions:
        return Condition("champion", True, f"no other model of the recipe is in {status}")
    if run is None:
        return Condition(
            "champion",
            False,
            "no evidence run of the challenger to compare with "
            + ", ".join(c for c, _ in facts.champions),
        )
    failed: list[str] = []
    said: list[str] = []
    values: dict[str, Any] = {}
    runs = [run.id]
    types = {str(t) for t in evidence.run_types}
    for champion_id, champion_runs in facts.champions:
        theirs = next(
            (
                r
                for r in sorted(champion_runs, key=lambda r: (r.at, r.id), reverse=True)
                if r.status == RunStatus.succeeded and r.run_type in types
            ),
            None,
        )
        if theirs is None:
            failed.append(f"champion {champion_id} has no succeeded {_types(evidence)} run")
            continue
        runs.append(theirs.id)
        for metric in rule.metrics:
            ours, best = run.metrics.get(metric), theirs.metrics.get(metric)
            values[f"{champion_id}.{metric}"] = {"challenger": ours, "champion": best}
            direction = direction_of(metric, rule, facts.acceptance)
            if direction is None:
                failed.append(
                    f"which way {metric} is better is not known: give it an acceptance "
                    f"threshold with only `min` or only `max`, or set "
                    f"champion.direction.{metric} to lower or higher"
                )
                continue
            if ours is None or best is None:
                who = run.id if ours is None else theirs.id
                failed.append(f"{who} reports no {metric}")
                continue
            gain = best - ours if direction == Direction.LOWER else ours - best
            relative = rule.margin_kind == MarginKind.relative
            needed = rule.margin * abs(best) if relative else rule.margin
            margin = (
                f"{num(rule.margin * 100)}%"
                if rule.margin_kind == MarginKind.relative
                else num(rule.margin)
            )
            text = (
                f"{metric} {num(ours)} ({run.id}) vs {num(best)} of {champion_id} ({theirs.id}), "
                f"{direction} is better, margin {margin}"
            )
            if gain < needed:
                failed.append(text)
            else:
                said.append(text)
    if failed:
        return Condition("champion", False, "; ".join(failed), values, runs)
    return Condition("champion", True, "; ".join(said), values, runs)


ALERT = "alert"
QUIET = ("warn", "warning", "info", "ok", "none")


def severity(value: Any) -> str:
    """An alert's severity as sent in `alerts_json`: a mapping's `severity` (or `level`), or a
    plain string; anything else counts as an alert."""
    if isinstance(value, Mapping):
        value = value.get("severity", value.get("level", ALERT))
    text = str(value).strip().lower() if value is not None else ALERT
    return text if text in QUIET else ALERT


def alerts_of(sent: Mapping[str, Any], computed: Iterable[tuple[str, str]]) -> dict[str, str]:
    """name -> severity of every alert of a snapshot, sent and computed (computed names are
    prefixed `computed:`)."""
    out = {name: severity(v) for name, v in sent.items()}
    out.update({f"computed:{name}": level for name, level in computed})
    return out


def _monitoring(facts: Facts) -> Condition:
    if facts.snapshot_id is None:
        return Condition("monitoring", True, f"{facts.model_id} has no monitoring snapshot")
    firing = sorted(name for name, level in facts.alerts.items() if level == ALERT)
    values = {"snapshot": facts.snapshot_id, "alerts": dict(facts.alerts)}
    if firing:
        return Condition(
            "monitoring",
            False,
            f"the latest snapshot {facts.snapshot_id} shows alerts: {', '.join(firing)}",
            values,
        )
    return Condition(
        "monitoring", True, f"the latest snapshot {facts.snapshot_id} shows no alert", values
    )
