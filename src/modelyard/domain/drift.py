"""Drift, freshness and performance computed from data (docs/drift.md).

The statistics follow Evidently's defaults, so the numbers mean what people who use it
expect:

- **binning** (PSI and Jensen-Shannon): a numeric column with more than 20 distinct
  reference values is cut into equal-width bins over the pooled reference and current
  values, as many as Sturges' rule gives (`numpy.histogram_bin_edges(..., "sturges")`);
  any other column has one bin per distinct value. An empty bin's share becomes 0.0001 on
  that side, so no logarithm meets zero;
- **PSI** = sum over bins of (current - reference) * ln(current / reference);
- **Jensen-Shannon distance** (natural log, as scipy's `jensenshannon`) of the two binned
  distributions, each scaled to sum 1: sqrt((KL(r || m) + KL(c || m)) / 2), m = (r + c) / 2;
- **Wasserstein** (numeric only, normed as Evidently does): the 1-D earth mover's distance
  between the two samples divided by the reference's standard deviation (at least 0.001).

A feature drifts when a statistic the recipe sets thresholds for reaches its `alert` level;
for a recipe that sets none, by Evidently's default tests: normed Wasserstein >= 0.1 for a
numeric feature, Jensen-Shannon >= 0.1 for a categorical one. The dataset drifts when at
least half the features do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

EMPTY_SHARE = 0.0001
DISCRETE_MAX = 20  # a numeric column with at most this many distinct values is binned by value
DEFAULT_THRESHOLD = 0.1
DATASET_DRIFT_SHARE = 0.5
STATISTICS = ("PSI", "JS", "Wasserstein")
# how a recipe may spell a statistic in `monitoring.drift` (compared in lower case)
ALIASES = {
    "psi": "PSI",
    "js": "JS",
    "jensen_shannon": "JS",
    "jensenshannon": "JS",
    "wasserstein": "Wasserstein",
    "wasserstein_distance": "Wasserstein",
}


def binned(reference: list[Any], current: list[Any], numeric: bool) -> tuple[Any, Any]:
    """The reference's and the current's share in each bin, empty bins at EMPTY_SHARE."""
    if numeric and len(set(reference)) > DISCRETE_MAX:
        ref = np.asarray(reference, dtype=float)
        cur = np.asarray(current, dtype=float)
        edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
        r = np.histogram(ref, edges)[0] / len(ref)
        c = np.histogram(cur, edges)[0] / len(cur)
    else:
        keys = sorted(set(reference) | set(current), key=lambda v: (str(type(v)), v))
        r_counts = {k: 0 for k in keys}
        c_counts = {k: 0 for k in keys}
        for v in reference:
            r_counts[v] += 1
        for v in current:
            c_counts[v] += 1
        r = np.array([r_counts[k] for k in keys], dtype=float) / len(reference)
        c = np.array([c_counts[k] for k in keys], dtype=float) / len(current)
    r[r == 0] = EMPTY_SHARE
    c[c == 0] = EMPTY_SHARE
    return r, c


def psi(r: Any, c: Any) -> float:
    return float(np.sum((c - r) * np.log(c / r)))


def jensen_shannon(r: Any, c: Any) -> float:
    p, q = r / r.sum(), c / c.sum()
    m = (p + q) / 2
    divergence = (np.sum(p * np.log(p / m)) + np.sum(q * np.log(q / m))) / 2
    return float(math.sqrt(max(divergence, 0.0)))


def wasserstein(reference: list[float], current: list[float]) -> float:
    """The 1-D Wasserstein distance: the area between the two empirical distribution
    functions."""
    u, v = np.sort(np.asarray(reference, dtype=float)), np.sort(np.asarray(current, dtype=float))
    every = np.sort(np.concatenate([u, v]))
    deltas = np.diff(every)
    u_cdf = np.searchsorted(u, every[:-1], side="right") / len(u)
    v_cdf = np.searchsorted(v, every[:-1], side="right") / len(v)
    return float(np.sum(np.abs(u_cdf - v_cdf) * deltas))


def wasserstein_normed(reference: list[float], current: list[float]) -> float:
    spread = max(float(np.std(np.asarray(reference, dtype=float))), 0.001)
    return wasserstein(reference, current) / spread


@dataclass
class FeatureDrift:
    name: str
    numeric: bool
    values: dict[str, float]
    drifted: bool = False
    decided_by: str = ""


@dataclass
class DriftReport:
    features: list[FeatureDrift]
    alerts: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def share(self) -> float:
        return sum(f.drifted for f in self.features) / len(self.features) if self.features else 0

    @property
    def dataset_drift(self) -> bool:
        return bool(self.features) and self.share >= DATASET_DRIFT_SHARE

    def metrics(self) -> dict[str, float]:
        """Flat figures for a snapshot's `drift_metrics_json`: each statistic's largest value
        over the features (`PSI`), each feature's (`PSI.base_price`), and the drifted share."""
        out: dict[str, float] = {}
        for stat in STATISTICS:
            seen = [f.values[stat] for f in self.features if stat in f.values]
            if seen:
                out[stat] = round(max(seen), 6)
        for f in self.features:
            for stat, value in f.values.items():
                out[f"{stat}.{f.name}"] = round(value, 6)
        out["drifted_features"] = float(sum(f.drifted for f in self.features))
        out["drift_share"] = round(self.share, 6)
        return out


def feature_drift(
    name: str, reference: list[Any], current: list[Any], numeric: bool
) -> FeatureDrift:
    r, c = binned(reference, current, numeric)
    values = {"PSI": psi(r, c), "JS": jensen_shannon(r, c)}
    if numeric:
        values["Wasserstein"] = wasserstein_normed(reference, current)
    return FeatureDrift(name, numeric, values)


def judge(features: list[FeatureDrift], thresholds: dict[str, dict[str, float]]) -> DriftReport:
    """Which features drift and the alerts that follow, from the recipe's
    `monitoring.drift` (`{statistic: {warn, alert}}`; other names are ignored here)."""
    declared = {ALIASES[k.lower()]: v for k, v in thresholds.items() if k.lower() in ALIASES}
    report = DriftReport(features)
    for f in features:
        if declared:
            for stat, levels in declared.items():
                value = f.values.get(stat)
                if value is None:
                    continue
                severity = _severity(value, levels)
                if severity == "alert":
                    f.drifted, f.decided_by = True, stat
                if severity:
                    level = levels[severity]
                    report.alerts[f"{stat}.{f.name}"] = {
                        "severity": severity,
                        "value": round(value, 6),
                        "threshold": level,
                        "message": f"{stat} of {f.name} is {value:.4g}, at or above the "
                        f"{'alert' if severity == 'alert' else 'warning'} level {level:g}",
                    }
        else:
            stat = "Wasserstein" if f.numeric else "JS"
            f.decided_by = stat
            f.drifted = f.values[stat] >= DEFAULT_THRESHOLD
    if report.dataset_drift:
        drifted = [f.name for f in features if f.drifted]
        report.alerts["dataset_drift"] = {
            "severity": "alert",
            "value": round(report.share, 6),
            "threshold": DATASET_DRIFT_SHARE,
            "message": f"{len(drifted)} of {len(features)} features drift "
            f"({', '.join(drifted)}): at least half, so the dataset drifts",
        }
    return report


def _severity(value: float, levels: dict[str, float]) -> str | None:
    if value >= levels["alert"]:
        return "alert"
    if value >= levels["warn"]:
        return "warn"
    return None


# ---- performance -------------------------------------------------------------------------


def regression_metrics(actual: list[float], predicted: list[float]) -> dict[str, float]:
    """MAE, RMSE, MAPE (over non-zero actuals), WAPE, bias (mean error over mean actual) and
    R2."""
    a, p = np.asarray(actual, dtype=float), np.asarray(predicted, dtype=float)
    err = p - a
    out = {
        "MAE": float(np.mean(np.abs(err))),
        "RMSE": float(math.sqrt(np.mean(err**2))),
    }
    nonzero = a != 0
    if nonzero.any():
        out["MAPE"] = float(np.mean(np.abs(err[nonzero] / a[nonzero])))
    if np.sum(np.abs(a)) > 0:
        out["WAPE"] = float(np.sum(np.abs(err)) / np.sum(np.abs(a)))
    if np.mean(a) != 0:
        out["bias"] = float(np.mean(err) / np.mean(a))
    total = float(np.sum((a - np.mean(a)) ** 2))
    if total > 0:
        out["R2"] = 1 - float(np.sum(err**2)) / total
    return {k: round(v, 6) for k, v in out.items()}


TRUE_WORDS = {"1", "true", "yes", "y", "t"}


def classification_metrics(actual: list[str], predicted: list[str]) -> dict[str, float]:
    """accuracy; and precision, recall and F1 of the positive class (true, 1, yes) when both
    columns hold only two values."""
    pairs = list(zip(actual, predicted, strict=True))
    out = {"accuracy": sum(a == p for a, p in pairs) / len(pairs)}
    labels = {v.lower() for v in [*actual, *predicted]}
    if len(labels) <= 2 and labels & TRUE_WORDS:
        pos_a = [a.lower() in TRUE_WORDS for a in actual]
        pos_p = [p.lower() in TRUE_WORDS for p in predicted]
        tp = sum(a and p for a, p in zip(pos_a, pos_p, strict=True))
        fp = sum(p and not a for a, p in zip(pos_a, pos_p, strict=True))
        fn = sum(a and not p for a, p in zip(pos_a, pos_p, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        out |= {"precision": precision, "recall": recall}
        out["f1"] = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {k: round(v, 6) for k, v in out.items()}


def performance_alerts(
    metrics: dict[str, float], bounds: dict[str, dict[str, float | None]]
) -> dict[str, dict[str, Any]]:
    """An alert for each metric outside the recipe's `monitoring.performance` bounds."""
    alerts: dict[str, dict[str, Any]] = {}
    for name, bound in bounds.items():
        value = metrics.get(name)
        if value is None:
            continue
        low, high = bound.get("min"), bound.get("max")
        if low is not None and value < low:
            alerts[name] = _bound_alert(name, value, low, "below the minimum")
        elif high is not None and value > high:
            alerts[name] = _bound_alert(name, value, high, "above the maximum")
    return alerts


def _bound_alert(name: str, value: float, level: float, where: str) -> dict[str, Any]:
    return {
        "severity": "alert",
        "value": value,
        "threshold": level,
        "message": f"{name} is {value:.4g}, {where} {level:g}",
    }
