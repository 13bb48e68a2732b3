"""`modelyard monitoring compute`: drift, freshness and performance from data files, checked
against values worked out by hand on small fixed data, and the snapshot they make."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import pytest

from clihelp import Cli
from conftest import git
from modelyard.domain import drift
from modelyard.ops import models, recipes
from modelyard.storage.registry import Registry


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


# -- the statistics, by hand -----------------------------------------------------------------


def test_psi_and_js_of_a_categorical_feature() -> None:
    # reference a, a, b, b -> (0.5, 0.5); current a, b, b, b -> (0.25, 0.75)
    f = drift.feature_drift("c", list("aabb"), list("abbb"), numeric=False)
    psi = (0.25 - 0.5) * math.log(0.25 / 0.5) + (0.75 - 0.5) * math.log(0.75 / 0.5)
    m = (0.375, 0.625)
    js = math.sqrt(
        (
            0.5 * math.log(0.5 / m[0])
            + 0.5 * math.log(0.5 / m[1])
            + 0.25 * math.log(0.25 / m[0])
            + 0.75 * math.log(0.75 / m[1])
        )
        / 2
    )
    assert close(f.values["PSI"], psi) and close(f.values["JS"], js)
    assert "Wasserstein" not in f.values


def test_an_unseen_category_gets_the_small_share_not_a_zero() -> None:
    # reference a, a; current a, b: b's reference share 0 becomes 0.0001
    f = drift.feature_drift("c", ["a", "a"], ["a", "b"], numeric=False)
    psi = (0.5 - 1.0) * math.log(0.5 / 1.0) + (0.5 - 0.0001) * math.log(0.5 / 0.0001)
    assert close(f.values["PSI"], psi)


def test_wasserstein_is_normed_by_the_reference_spread() -> None:
    ref, cur = [0.0, 1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0]
    assert close(drift.wasserstein(ref, cur), 1.0)  # every unit of mass moves by 1
    std = math.sqrt(sum((x - 1.5) ** 2 for x in ref) / 4)  # population std: sqrt(1.25)
    assert close(drift.wasserstein_normed(ref, cur), 1.0 / std)
    # unequal sizes: the area between the two step functions
    assert close(drift.wasserstein([0.0, 10.0], [5.0]), 5.0)
    assert close(drift.wasserstein_normed([2.0, 2.0], [3.0]), 1.0 / 0.001)


def test_a_numeric_feature_with_few_values_is_binned_by_value() -> None:
    f = drift.feature_drift("n", [0.0, 1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0], numeric=True)
    # bins 0..4; 0 only in the reference, 4 only in the current
    psi = 2 * (0.25 - 0.0001) * math.log(0.25 / 0.0001)
    assert close(f.values["PSI"], psi)


def test_a_numeric_feature_with_many_values_uses_sturges_bins() -> None:
    ref = [float(i) for i in range(30)]  # 0..29
    cur = [float(i) + 10 for i in range(30)]  # 10..39
    pooled = ref + cur
    k = math.ceil(math.log2(len(pooled)) + 1)  # Sturges: 7 bins for 60 values
    low, high = min(pooled), max(pooled)
    width = (high - low) / k

    def shares(values: list[float]) -> list[float]:
        counts = [0] * k
        for v in values:
            counts[min(int((v - low) / width), k - 1)] += 1
        return [c / len(values) or 0.0001 for c in counts]

    r, c = shares(ref), shares(cur)
    psi = sum((ci - ri) * math.log(ci / ri) for ri, ci in zip(r, c, strict=True))
    f = drift.feature_drift("n", ref, cur, numeric=True)
    assert k == 7
    assert close(f.values["PSI"], psi)
    assert close(f.values["Wasserstein"], 10 / math.sqrt(sum((x - 14.5) ** 2 for x in ref) / 30))


# -- deciding drift ------------------------------------------------------------------------------


def features(*values: tuple[str, dict[str, float], bool]) -> list[drift.FeatureDrift]:
    return [drift.FeatureDrift(name, numeric, v) for name, v, numeric in values]


def test_recipe_thresholds_become_warnings_and_alerts() -> None:
    fs = features(
        ("price", {"PSI": 0.25, "JS": 0.3, "Wasserstein": 0.5}, True),
        ("promo", {"PSI": 0.12, "JS": 0.05}, False),
        ("units", {"PSI": 0.01, "JS": 0.01, "Wasserstein": 0.01}, True),
    )
    report = drift.judge(fs, {"PSI": {"warn": 0.1, "alert": 0.2}})
    assert {k: v["severity"] for k, v in report.alerts.items()} == {
        "PSI.price": "alert",
        "PSI.promo": "warn",
    }
    assert report.alerts["PSI.price"]["threshold"] == 0.2
    assert [f.drifted for f in fs] == [True, False, False]
    assert not report.dataset_drift  # 1 of 3
    metrics = report.metrics()
    assert metrics["PSI"] == 0.25 and metrics["PSI.promo"] == 0.12
    assert metrics["drifted_features"] == 1.0 and close(metrics["drift_share"], round(1 / 3, 6))


def test_half_the_features_drifting_is_dataset_drift_with_default_tests() -> None:
    # no thresholds in the recipe: Wasserstein >= 0.1 (numeric), JS >= 0.1 (categorical)
    fs = features(
        ("price", {"PSI": 0.0, "JS": 0.0, "Wasserstein": 0.1}, True),
        ("promo", {"PSI": 0.5, "JS": 0.09}, False),
    )
    report = drift.judge(fs, {"KS": {"warn": 0.1, "alert": 0.2}})  # not a statistic computed
    assert [(f.drifted, f.decided_by) for f in fs] == [(True, "Wasserstein"), (False, "JS")]
    assert report.dataset_drift
    assert report.alerts["dataset_drift"]["value"] == 0.5
    assert "1 of 2 features drift (price)" in report.alerts["dataset_drift"]["message"]
    spelled = drift.judge(
        features(("x", {"JS": 0.4}, False)), {"jensen_shannon": {"warn": 0.1, "alert": 0.3}}
    )
    assert spelled.alerts["JS.x"]["severity"] == "alert"


def test_performance_metrics_by_hand() -> None:
    actual, predicted = [10.0, 20.0, 30.0, 40.0], [12.0, 18.0, 33.0, 40.0]
    got = drift.regression_metrics(actual, predicted)
    assert close(got["MAE"], (2 + 2 + 3 + 0) / 4)
    assert close(got["RMSE"], round(math.sqrt((4 + 4 + 9 + 0) / 4), 6))
    assert close(got["MAPE"], round((0.2 + 0.1 + 0.1 + 0) / 4, 6))
    assert close(got["WAPE"], round(7 / 100, 6))
    assert close(got["bias"], round((3 / 4) / 25, 6))
    assert close(got["R2"], round(1 - 17 / 500, 6))
    cls = drift.classification_metrics(["1", "0", "1", "1"], ["1", "1", "0", "1"])
    assert cls == {"accuracy": 0.5, "precision": round(2 / 3, 6), "recall": round(2 / 3, 6),
                   "f1": round(2 / 3, 6)}  # fmt: skip
    alerts = drift.performance_alerts(got, {"MAPE": {"max": 0.09}, "R2": {"min": 0.5}})
    assert list(alerts) == ["MAPE"] and alerts["MAPE"]["threshold"] == 0.09
    assert drift.performance_alerts(got, {"MAPE": {"max": 0.1}}) == {}  # bounds are inclusive


# -- the command -----------------------------------------------------------------------------

MANIFEST: dict[str, Any] = {
    "data_sources": {"sales": {"kind": "table", "uri": "w.sales", "timestamp_column": "sold_at"}},
    "features": {
        "price": {"dtype": "float", "source": "sales"},
        "channel": {"dtype": "category", "source": "sales"},
    },
    "target": {"name": "units", "dtype": "float", "kind": "regression", "source": "sales"},
    "model": {"algorithm": "lightgbm"},
    "monitoring": {
        "drift": {"PSI": {"warn": 0.1, "alert": 0.2}},
        "performance": {"MAPE": {"max": 0.1}},
        "freshness": {"max_age_hours": 24},
    },
    "pricing": {"objective": "revenue", "price_bounds": {"min_ratio": 0.8, "max_ratio": 1.2}},
}


def write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> str:
    with path.open("w", newline="", encoding="utf-8") as handle:
        w = csv.writer(handle)
        w.writerow(header)
        w.writerows(rows)
    return str(path)


@pytest.fixture
def model(reg: Registry) -> str:
    recipes.create_recipe(
        reg,
        {"id": "recipe_p", "name": "P", "model_family": "pricing", "level": "baseline",
         "manifest": MANIFEST},
    )  # fmt: skip
    return models.register_model(
        reg,
        {"name": "M", "recipe_id": "recipe_p", "recipe_version_id": "1.0.0", "owner": "team"},
    ).id


def test_compute_records_one_snapshot_with_figures_and_alerts(
    reg: Registry, model: str, tmp_path: Path
) -> None:
    header = ["sold_at", "price", "channel", "units", "prediction"]
    ref = write_csv(
        tmp_path / "ref.csv",
        header,
        [["2026-01-01T00:00:00Z", p, c, 10, 10] for p, c in zip([0, 1, 2, 3], "wwss", strict=True)],
    )
    cur = write_csv(
        tmp_path / "cur.csv",
        header,
        [
            ["2026-01-02T00:00:00Z", 1, "w", 10, 12],
            ["2026-01-03T06:00:00Z", 2, "s", 20, 18],
            ["2026-01-02T12:00:00Z", 3, "s", 30, 33],
            ["", 4, "s", 40, 44],
        ],
    )
    before = git(reg.root, "rev-parse", "HEAD")
    snap = Cli(reg.root).json(
        "monitoring", "compute", model, "--reference", ref, "--current", cur,
        "--captured-at", "2026-01-05T06:00:00Z",
    )  # fmt: skip
    assert git(reg.root, "rev-list", "--count", f"{before}..HEAD") == "1"
    d = snap["drift_metrics_json"]
    assert close(d["PSI.price"], round(2 * (0.25 - 0.0001) * math.log(0.25 / 0.0001), 6))
    psi_channel = (0.25 - 0.5) * math.log(0.25 / 0.5) + (0.75 - 0.5) * math.log(0.75 / 0.5)
    assert close(d["PSI.channel"], round(psi_channel, 6))
    assert close(d["Wasserstein.price"], round(1 / math.sqrt(1.25), 6))
    assert d["PSI"] == max(d["PSI.price"], d["PSI.channel"])
    assert d["drifted_features"] == 2.0 and d["drift_share"] == 1.0
    alerts = snap["alerts_json"]
    assert set(alerts) == {"PSI.price", "PSI.channel", "dataset_drift", "freshness", "MAPE"}
    assert alerts["PSI.price"]["severity"] == "alert"
    fresh = snap["data_freshness_json"]
    assert fresh["last_update"] == "2026-01-03T06:00:00Z" and fresh["age_hours"] == 48.0
    assert alerts["freshness"]["threshold"] == 24
    perf = snap["performance_metrics_json"]
    assert close(perf["MAPE"], (0.2 + 0.1 + 0.1 + 0.1) / 4) and close(perf["MAE"], 11 / 4)
    assert alerts["MAPE"]["value"] == perf["MAPE"] and alerts["MAPE"]["threshold"] == 0.1
    stored = reg.path(f"models/{model}/monitoring/{snap['id']}.yaml").read_text()
    assert "dataset_drift" in stored and "PSI.price" in stored
    listed = Cli(reg.root).json("monitoring", "list", model)
    assert listed["snapshots"][0]["id"] == snap["id"]
    # the commit counts each alert once, sent or raised by the recipe's thresholds beside them
    every = set(alerts) | set(snap.get("computed_alerts_json") or {})
    assert f"({len(every)} alerts)" in git(reg.root, "log", "-1", "--format=%s")


def test_bad_data_is_refused_naming_file_line_and_column(
    reg: Registry, model: str, tmp_path: Path
) -> None:
    cli = Cli(reg.root)
    good = write_csv(tmp_path / "good.csv", ["price", "channel"], [[1, "w"], [2, "s"]])
    lacking = write_csv(tmp_path / "lacking.csv", ["price"], [[1]])
    err = cli.error("monitoring", "compute", model, "--reference", good, "--current", lacking)
    assert "lacking.csv has no column 'channel', a feature of the model's recipe" in err
    word = write_csv(tmp_path / "word.csv", ["price", "channel"], [[1, "w"], ["many", "s"]])
    err = cli.error("monitoring", "compute", model, "--reference", good, "--current", word)
    assert "word.csv:3: column 'price': 'many' is not a number" in err
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("price,channel\n1,w\n2\n", encoding="utf-8")
    err = cli.error(
        "monitoring", "compute", model, "--reference", good, "--current", str(ragged), code=2
    )
    assert "ragged.csv:3: 1 cells, but the header has 2" in err
    parquet = tmp_path / "cur.parquet"
    parquet.write_bytes(b"PAR1")
    err = cli.error(
        "monitoring", "compute", model, "--reference", good, "--current", str(parquet), code=2
    )
    assert "Parquet is not read (it would need pyarrow); export the data as CSV" in err
    assert json.loads(cli("monitoring", "list", model, "--json").stdout)["total"] == 0
