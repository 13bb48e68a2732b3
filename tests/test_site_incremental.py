"""An incremental rebuild gives, byte for byte, what a full build of the same registry gives,
in both layouts (pages per run, and data files only), whatever changed: a new run, a run
updated or deleted, logs put beside a committed run, a new monitoring snapshot (all read
from the last build's memo, patched), or a new recipe version (the whole registry read
again). After a new run it writes only the few files the run shows in."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import manifest
from modelyard.ops import models, monitoring, recipes, runs, versions
from modelyard.site.build import BuildReport, build_site
from modelyard.storage import layout
from modelyard.storage.registry import Registry
from site_registry import clock_at
from test_site_build import tree


@dataclass
class Setup:
    reg: Registry
    recipe: str
    model: str
    runs: list[str]


def _setup(reg: Registry) -> Setup:
    with clock_at(1):
        base = recipes.create_recipe(
            reg,
            {
                "name": "Pricing base",
                "model_family": "pricing",
                "level": "baseline",
                "manifest": manifest("pricing"),
            },
        )
        model = models.register_model(
            reg,
            {
                "name": "Pricing model",
                "recipe_id": base.id,
                "recipe_version_id": "1.0.0",
                "owner": "pricing-team",
            },
        )
    made = []
    for day in range(2, 14):
        with clock_at(day):
            run = runs.create_run(
                reg,
                {
                    "recipe_id": base.id,
                    "recipe_version_id": "1.0.0",
                    "model_id": model.id,
                    "run_type": "train",
                },
            )
            runs.update_run(
                reg, run.id, {"status": "succeeded", "metrics_json": {"MAPE": 0.1 + day / 100}}
            )
            made.append(run.id)
        if day % 4 == 0:
            with clock_at(day, 12):
                monitoring.create_snapshot(
                    reg, model.id, {"performance_metrics_json": {"MAPE": 0.1 + day / 200}}
                )
    return Setup(reg, base.id, model.id, made)


def _rebuild_equals_full(
    s: Setup, tmp_path: Path, run_pages: bool, change: Callable[[Setup], None]
) -> BuildReport:
    out = tmp_path / "site"
    build_site(s.reg, out, run_pages=run_pages)
    change(s)
    report = build_site(s.reg, out, run_pages=run_pages)
    fresh = tmp_path / "fresh"
    build_site(s.reg, fresh, incremental=False, run_pages=run_pages)
    assert tree(out) == tree(fresh)
    return report


@pytest.mark.parametrize("run_pages", [True, False])
def test_a_rebuild_after_one_new_run_equals_a_full_build(reg, tmp_path, run_pages):
    s = _setup(reg)
    made = []

    def new_run(s: Setup) -> None:
        with clock_at(20):
            made.append(
                runs.create_run(
                    s.reg,
                    {
                        "recipe_id": s.recipe,
                        "recipe_version_id": "1.0.0",
                        "model_id": s.model,
                        "run_type": "train",
                    },
                )
            )

    report = _rebuild_equals_full(s, tmp_path, run_pages, new_run)
    new = made[0]
    assert report.changes_only  # the registry was not read again
    month = new.created_at.strftime("%Y-%m")
    assert f"model-development/data/runs/{month}/rows.js" in report.written
    assert ("model-development/runs/" + new.id + "/index.html" in report.written) == run_pages
    if not run_pages:  # what shows the new run, and nothing else
        assert set(report.written) == {
            "api/ml-development/runs.json",
            "model-development/index.html",
            "model-development/runs/index.html",
            f"model-development/recipes/{s.recipe}/index.html",
            f"model-development/models/{s.model}/index.html",
            f"model-development/data/recipes/{s.recipe}.js",
            "model-development/data/runs/index.js",
            f"model-development/data/runs/{month}/rows.js",
            f"model-development/data/runs/{month}/0.js",
        }
        # and it considered only the pages that can show it: index, chat, lists, explorer,
        # the month, the recipe and the model
        assert report.rendered == 7


def _update(s: Setup) -> None:
    # a new metric name, lower is better: the explorer's directions change with it
    with clock_at(21):
        runs.update_run(s.reg, s.runs[3], {"metrics_json": {"MAPE": 0.01, "RMSE": 3.0}})


def _delete(s: Setup) -> None:
    shutil.rmtree(s.reg.path(layout.run_dir(s.runs[5])))  # not committed: the working tree


def _logs(s: Setup) -> None:
    # git does not track it and no listing looks for it: only the run folder's stamp tells
    s.reg.path(layout.logs_file(s.runs[2])).write_text("epoch 1 loss 0.5\nepoch 2 loss 0.3\n")


def _snapshot(s: Setup) -> None:
    with clock_at(22):
        monitoring.create_snapshot(
            s.reg,
            s.model,
            {
                "performance_metrics_json": {"MAPE": 0.4},
                "alerts_json": {"mape_high": {"severity": "warn", "message": "MAPE above 0.3"}},
            },
        )


def _version(s: Setup) -> None:
    changed = manifest("pricing")
    changed["model"]["hyperparameters"]["num_leaves"] = 63
    with clock_at(23):
        versions.create_version(
            s.reg, s.recipe, {"manifest_json": changed, "change_note": "More leaves"}
        )


@pytest.mark.parametrize("run_pages", [True, False])
@pytest.mark.parametrize(
    ("change", "changes_only", "shows"),
    [
        (_update, True, "RMSE"),
        (_delete, True, None),
        (_logs, True, "epoch 2 loss 0.3"),
        (_snapshot, True, "MAPE above 0.3"),
        (_version, False, "More leaves"),
    ],
    ids=["run-updated", "run-deleted", "logs-added", "snapshot-added", "recipe-versioned"],
)
def test_a_rebuild_after_a_change_equals_a_full_build(
    reg, tmp_path, run_pages, change, changes_only, shows
):
    s = _setup(reg)
    report = _rebuild_equals_full(s, tmp_path, run_pages, change)
    assert report.changes_only == changes_only
    if shows is not None:  # the change is in the output, so the test sees it was read
        assert any(shows in (tmp_path / "site" / rel).read_text() for rel in report.written)
    else:  # the deleted run is nowhere: not in the explorer's rows, not in a page of its own
        rows = (tmp_path / "site" / "model-development" / "data" / "runs").rglob("rows.js")
        assert not any(s.runs[5] in p.read_text() for p in rows)
        assert not (tmp_path / "site" / "model-development" / "runs" / s.runs[5]).exists()


def test_a_rebuild_with_nothing_changed_renders_only_what_every_build_shows(reg, tmp_path):
    s = _setup(reg)
    out = tmp_path / "site"
    first = build_site(s.reg, out, run_pages=False)
    again = build_site(s.reg, out, run_pages=False)
    assert again.changes_only
    assert again.written == [] and again.removed == []
    assert again.files == first.files
    assert again.rendered == 4  # index, chat, lists, explorer: nothing else was touched


def test_a_build_that_failed_leaves_no_memo_to_trust(reg, tmp_path, monkeypatch):
    """A build that stops half-way has written some pages: the next build must not keep the
    others by a memo that describes the registry before it."""
    s = _setup(reg)
    out = tmp_path / "site"
    build_site(s.reg, out, run_pages=False)
    _snapshot(s)
    from modelyard.site import build as build_module

    def broken(jobs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(build_module, "_run_jobs", broken)
    with pytest.raises(RuntimeError):
        build_site(s.reg, out, run_pages=False)
    monkeypatch.undo()
    report = build_site(s.reg, out, run_pages=False)
    assert not report.changes_only  # read again, in full
    fresh = tmp_path / "fresh"
    build_site(s.reg, fresh, incremental=False, run_pages=False)
    assert tree(out) == tree(fresh)
