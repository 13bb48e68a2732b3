"""Promotion gates, read from the registry: which gate applies to a model entering a status,
and its verdict (docs/promotion.md).

    from modelyard.ops import gates
    verdict = gates.check(reg, "model_x", "production")
    verdict.passed, verdict.unmet, verdict.as_json()

The CLI (`models check`, `models update`), the server (`PUT /models/{id}`), `validate --base`
and the assistant all ask here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from modelyard.domain.alerts import computed_alerts
from modelyard.domain.enums import ModelStatus
from modelyard.domain.gates import GATED_STATUSES, Facts, Gate, RunFact, Verdict, alerts_of, judge
from modelyard.domain.manifest import Monitoring, Threshold
from modelyard.domain.records import Model, RegistrySettings, Run
from modelyard.errors import Conflict, InvalidValue, ModelyardError
from modelyard.ops import load
from modelyard.ops.common import parse_enum
from modelyard.ops.history import version_number
from modelyard.ops.manifests import Resolver
from modelyard.storage.mutation import clock
from modelyard.storage.registry import Registry


@dataclass(frozen=True)
class Policy:
    """The gate for one status and where it was declared (`modelyard.yaml` or a recipe)."""

    gate: Gate | None
    source: str | None


def policy(
    settings: RegistrySettings, recipe_id: str, recipe_manifest: dict[str, Any] | None, status: str
) -> Policy:
    """The gate for `status`: the recipe's resolved `promotion.gates.<status>` when it declares
    one (it replaces the default), else `modelyard.yaml`'s."""
    if status not in GATED_STATUSES:
        return Policy(None, None)
    declared = ((recipe_manifest or {}).get("promotion") or {}).get("gates") or {}
    if status in declared:
        raw = declared[status]
        return Policy(Gate.model_validate(raw) if raw is not None else None, f"recipe {recipe_id}")
    defaults = settings.promotion.gates if settings.promotion else {}
    gate = defaults.get(status)
    return Policy(gate, "modelyard.yaml" if gate is not None else None)


def run_fact(run: Run) -> RunFact:
    return RunFact(
        run.id,
        str(run.run_type),
        str(run.status),
        run.recipe_version_id,
        run.finished_at,
        run.created_at,
        dict(run.metrics_json),
    )


class Checker:
    """Gate verdicts over one registry state, reading each recipe's manifests once."""

    def __init__(
        self,
        reg: Registry,
        settings: RegistrySettings | None = None,
        now: datetime | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        self.reg = reg
        self.settings = settings or reg.settings
        self.now = now or clock()
        self.resolver = resolver or Resolver(reg)
        self._current: dict[str, dict[str, Any] | None] = {}
        self._versions: dict[str, dict[str, Any]] = {}
        # recipe id -> its resolved current manifest as a reviewer's base had it
        self.policy_manifests: dict[str, dict[str, Any]] = {}

    def current_manifest(self, recipe_id: str) -> dict[str, Any] | None:
        if recipe_id in self.policy_manifests:
            return self.policy_manifests[recipe_id]
        if recipe_id not in self._current:
            try:
                self._current[recipe_id] = self.resolver.current(recipe_id)[0]
            except ModelyardError:
                self._current[recipe_id] = None
        return self._current[recipe_id]

    def version_manifest(self, model: Model) -> dict[str, Any]:
        """The resolved manifest of the version the model was built from."""
        key = model.recipe_version_id
        if key not in self._versions:
            number = version_number(model.recipe_id, model.recipe_version_id)
            if number is None:
                raise Conflict(
                    f"model {model.id}'s recipe_version_id {model.recipe_version_id!r} is not a "
                    f"version of {model.recipe_id}, so its gate cannot be judged"
                )
            self._versions[key] = self.resolver.at(model.recipe_id, number)
        return self._versions[key]

    def policy(self, model: Model, status: str) -> Policy:
        current = self.current_manifest(model.recipe_id)
        return policy(self.settings, model.recipe_id, current, status)

    def verdict(self, model: Model, status: str, models: list[Model] | None = None) -> Verdict:
        """Whether `model` may enter `status` now."""
        found = self.policy(model, status)
        if found.gate is None or found.gate.empty:
            nothing = Facts(model.id, model.recipe_version_id, self.now, [], {})
            verdict = judge(status, None, nothing)
            verdict.source = found.source
            return verdict
        manifest = self.version_manifest(model)
        acceptance = _acceptance(manifest)
        runs = [run_fact(r) for r in load.runs_where(self.reg, model_id=model.id).all()]
        champions: list[tuple[str, list[RunFact]]] = []
        if found.gate.champion is not None:
            others = (
                models
                if models is not None
                else load.models_where(self.reg, recipe_id=model.recipe_id).all()
            )
            for other in others:
                same = other.recipe_id == model.recipe_id and str(other.status) == status
                if same and other.id != model.id:
                    theirs = load.runs_where(self.reg, model_id=other.id).all()
                    champions.append((other.id, [run_fact(r) for r in theirs]))
        alerts: dict[str, str] = {}
        snapshot_id = None
        if found.gate.no_alert:
            snaps = load.snapshots(self.reg, model.id)
            if snaps:
                latest = max(snaps, key=lambda s: (s.captured_at, s.id))
                snapshot_id = latest.id
                computed = computed_alerts(_monitoring(manifest), latest)
                alerts = alerts_of(
                    latest.alerts_json, ((k, v["severity"]) for k, v in computed.items())
                )
        facts = Facts(
            model.id,
            model.recipe_version_id,
            self.now,
            runs,
            acceptance,
            champions,
            alerts,
            snapshot_id,
        )
        verdict = judge(status, found.gate, facts)
        verdict.source = found.source
        return verdict


def _acceptance(manifest: dict[str, Any]) -> dict[str, Threshold]:
    raw = (manifest.get("evaluation") or {}).get("acceptance") or {}
    out = {}
    for metric, bound in raw.items():
        try:
            out[metric] = Threshold.model_validate(bound)
        except ValueError:
            continue  # the validator reports a bad threshold; it cannot judge a run
    return out


def _monitoring(manifest: dict[str, Any]) -> Monitoring:
    try:
        return Monitoring.model_validate(manifest.get("monitoring") or {})
    except ValueError:
        return Monitoring()


def check(
    reg: Registry,
    model_id: str,
    status: str,
    settings: RegistrySettings | None = None,
    now: datetime | None = None,
) -> Verdict:
    """The verdict of the gate for `model_id` entering `status` (nothing is changed).

    `gated` is False when no gate applies (no gate declared for that status, or a status
    that is never gated: draft, retired)."""
    target = parse_enum(ModelStatus, status, "status")
    if target is None:
        raise InvalidValue("a status to check the gate of is required (e.g. production)")
    model = load.model(reg, model_id)
    return Checker(reg, settings, now).verdict(model, str(target))


def refused(verdict: Verdict, allow_override: bool) -> GateRefused:
    """The 409 of a promotion its gate refuses: every unmet condition, with the values and the
    runs looked at."""
    action = (
        "meet the conditions, or override with a reason: "
        "--override-gate --reason TEXT (API body: override_gate, reason)"
        if allow_override
        else "meet the conditions (modelyard.yaml does not allow overriding a gate)"
    )
    return GateRefused(verdict, action)


class GateRefused(Conflict):
    """A promotion refused by its gate: a 409 whose `detail` is the summary, with the whole
    verdict beside it (`gate`); on the CLI one line per unmet condition."""

    def __init__(self, verdict: Verdict, action: str) -> None:
        super().__init__(verdict.summary(), action=action)
        self.verdict = verdict

    @property
    def extra(self) -> dict[str, Any]:
        return {"gate": self.verdict.as_json()}

    def __str__(self) -> str:
        v = self.verdict
        lines = [f"{v.model_id} cannot enter {v.status}: its gate ({v.source}) is not met"]
        for c in v.unmet:
            lines.append(f"  {c.name}: {c.message}")
        lines.append(f"Suggested action: {self.action}")
        return "\n".join(lines)


RANK = {"draft": 0, "staging": 1, "production": 2}


def is_promotion(old: str, new: str) -> bool:
    """Only a move up (draft -> staging -> production) is gated; a rollback or retiring is not."""
    return new in RANK and RANK[new] > RANK.get(old, -1)


def enforce(
    reg: Registry,
    model: Model,
    old: str,
    new: str,
    override: bool = False,
    reason: str | None = None,
    checker: Checker | None = None,
) -> list[str]:
    """Refuse `model` moving from `old` to `new` when its gate is not met (GateRefused), unless
    overridden with a reason where modelyard.yaml allows it. Returns the commit's trailers:
    `Gate: <status> passed|overridden (...)` and `Reason: ...`."""
    from modelyard.errors import FieldError, ValidationFailed

    if override and not reason:
        raise ValidationFailed(
            [
                FieldError(
                    ("body", "reason"),
                    "overriding a gate needs a reason (it is recorded in the commit)",
                    "value_error.missing",
                )
            ]
        )
    trailers: list[str] = []
    if is_promotion(str(old), str(new)):
        verdict = (checker or Checker(reg)).verdict(model, str(new))
        if verdict.gated and verdict.passed:
            trailers.append(f"Gate: {verdict.status} passed ({verdict.source})")
        elif verdict.gated:
            settings = reg.settings.promotion
            allowed = settings.allow_override if settings is not None else True
            if not override or not allowed:
                raise refused(verdict, allowed)
            unmet = ", ".join(c.name for c in verdict.unmet)
            trailers.append(f"Gate: {verdict.status} overridden ({verdict.source}; unmet: {unmet})")
    if reason:
        trailers.append(f"Reason: {reason}")
    return trailers


def with_trailers(message: str, trailers: list[str]) -> str:
    return message + ("\n\n" + "\n".join(trailers) if trailers else "")
