"""Time `build_site` on a registry generated through ops: a full build, a rebuild with
nothing changed, a rebuild after one change, and a forced full re-render.

    PYTHONPATH=src python benchmarks/site_build.py [--recipes 40] [--models 80]
        [--runs 300] [--folder DIR]

Prints the timings as JSON. Generation commits every record (it is ops, as a user would),
so it takes longer than the builds it measures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from modelyard.ops import models, monitoring, recipes, runs, setup
from modelyard.site.build import build_site
from modelyard.storage.registry import Registry

FAMILY = "pricing"


def base_manifest(i: int) -> dict[str, Any]:
    return {
        "data_sources": {"sales": {"kind": "table", "uri": f"warehouse.sales.t{i}"}},
        "features": {
            "price": {"dtype": "float", "source": "sales"},
            "promo": {"dtype": "bool", "source": "sales"},
        },
        "target": {"name": "units", "dtype": "float", "kind": "regression"},
        "model": {
            "algorithm": "lightgbm",
            "hyperparameters": {"learning_rate": 0.05, "num_leaves": 31 + i},
        },
        "evaluation": {"metrics": ["MAPE"], "acceptance": {"MAPE": {"max": 0.2}}},
        "monitoring": {"drift": {"PSI": {"warn": 0.1, "alert": 0.2}}},
        "pricing": {"objective": "revenue", "price_bounds": {"min_ratio": 0.8, "max_ratio": 1.2}},
    }


class Clock:
    """Advances GIT_AUTHOR_DATE a minute per record, so ids and history are ordered."""

    def __init__(self) -> None:
        self.now = datetime(2025, 1, 1, tzinfo=UTC)

    def tick(self) -> None:
        self.now += timedelta(minutes=1)
        stamp = self.now.strftime("%Y-%m-%dT%H:%M:%SZ")
        os.environ["GIT_AUTHOR_DATE"] = os.environ["GIT_COMMITTER_DATE"] = stamp


def generate(folder: Path, n_recipes: int, n_models: int, n_runs: int, snapshots: int) -> Registry:
    rng = random.Random(7)
    clock = Clock()
    folder.mkdir(parents=True)
    reg = setup.init_registry(folder)
    roots = max(1, n_recipes // 2)
    recipe_ids = []
    for i in range(n_recipes):
        clock.tick()
        if i < roots:
            r = recipes.create_recipe(
                reg,
                {
                    "name": f"Pricing base {i}",
                    "model_family": FAMILY,
                    "level": "baseline",
                    "tags": [f"t{i % 5}"],
                    "manifest": base_manifest(i),
                },
            )
            clock.tick()
            recipes.update_recipe(reg, r.id, {"status": "approved"})
        else:
            r = recipes.clone_recipe(
                reg, recipe_ids[i % roots], f"Client pricing {i}", level="client"
            )
        recipe_ids.append(r.id)
    model_ids = []
    for i in range(n_models):
        clock.tick()
        recipe_id = recipe_ids[i % roots]
        m = models.register_model(
            reg,
            {
                "name": f"Model {i}",
                "recipe_id": recipe_id,
                "recipe_version_id": "1.0.0",
                "owner": f"team-{i % 4}",
            },
        )
        model_ids.append((m.id, recipe_id))
        for s in range(snapshots):
            clock.tick()
            psi = 0.03 * (s + 1) + rng.random() * 0.02
            monitoring.create_snapshot(
                reg,
                m.id,
                {
                    "performance_metrics_json": {"MAPE": 0.12 + rng.random() * 0.05},
                    "drift_metrics_json": {"PSI": psi},
                    "alerts_json": {"PSI": "drift above alert"} if psi > 0.2 else {},
                },
            )
    for i in range(n_runs):
        clock.tick()
        model_id, recipe_id = model_ids[i % len(model_ids)]
        run = runs.create_run(
            reg,
            {
                "recipe_id": recipe_id,
                "recipe_version_id": "1.0.0",
                "run_type": "train",
                "model_id": model_id,
            },
        )
        clock.tick()
        runs.update_run(
            reg,
            run.id,
            {
                "status": "succeeded",
                "metrics_json": {"MAPE": 0.1 + rng.random() * 0.1},
                "logs_text": f"run {i}\n",
            },
        )
    return reg


def generate_bulk(
    folder: Path, n_recipes: int, n_models: int, n_runs: int, snapshots: int
) -> Registry:
    """A large registry written file by file in canonical form and committed once: the
    shape ops would make, in seconds rather than hours. Children pin their parent's 1.0.0."""
    from modelyard.domain.ids import version_id
    from modelyard.domain.records import ManifestFile, Model, MonitoringSnapshot, Recipe, Run
    from modelyard.storage import files, layout

    rng = random.Random(7)
    folder.mkdir(parents=True)
    reg = setup.init_registry(folder)
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    roots = max(1, n_recipes // 4)

    def put(rel: Any, record: Any, kind: str, **kw: Any) -> None:
        path = reg.path(rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files.render(record, kind, str(rel), **kw), encoding="utf-8")

    recipe_ids = []
    for i in range(n_recipes):
        rid = f"recipe_bulk_{i:05d}"
        parent = None if i < roots else recipe_ids[i % roots]
        put(
            layout.recipe_file(rid),
            Recipe(
                id=rid,
                name=f"Bulk recipe {i}",
                model_family=FAMILY,
                level="baseline" if parent is None else "industry",
                status="approved",
                parent_id=parent,
                tags=[f"t{i % 7}"],
                created_at=t0,
                updated_at=t0,
            ),
            "recipe",
        )
        mf = ManifestFile(
            version="1.0.0",
            extends={"recipe": parent, "version": "1.0.0"} if parent else None,
            manifest=base_manifest(i)
            if parent is None
            else {"model": {"hyperparameters": {"learning_rate": 0.01 * (1 + i % 5)}}},
        )
        put(
            layout.manifest_file(rid),
            mf,
            "manifest",
            exclude={"extends"} if parent is None else None,
        )
        recipe_ids.append(rid)
    model_ids = []
    for i in range(n_models):
        mid, rid = f"model_bulk_{i:05d}", recipe_ids[i % n_recipes]
        put(
            layout.model_file(mid),
            Model(
                id=mid,
                name=f"Bulk model {i}",
                model_family=FAMILY,
                recipe_id=rid,
                recipe_version_id=version_id(rid, "1.0.0"),
                status="production",
                owner=f"team-{i % 9}",
                created_at=t0,
                updated_at=t0,
            ),
            "model",
        )
        model_ids.append((mid, rid))
        for s in range(snapshots):
            when = t0 + timedelta(days=s)
            sid = f"snap_{when:%Y%m%d%H%M%S}_{i:06d}"
            put(
                layout.snapshot_file(mid, sid),
                MonitoringSnapshot(
                    id=sid,
                    model_id=mid,
                    captured_at=when,
                    performance_metrics_json={"MAPE": 0.1 + rng.random() / 10},
                    drift_metrics_json={"PSI": 0.05 * (s + 1)},
                ),
                "snapshot",
            )
    for i in range(n_runs):
        when = t0 + timedelta(minutes=i)
        run_id = f"run_{when:%Y%m%d%H%M%S}_{i:06d}"
        mid, rid = model_ids[i % n_models]
        put(
            layout.run_file(run_id),
            Run(
                id=run_id,
                model_id=mid,
                recipe_id=rid,
                recipe_version_id=version_id(rid, "1.0.0"),
                run_type="train",
                status="succeeded",
                created_at=when,
                started_at=when,
                finished_at=when,
                metrics_json={"MAPE": 0.1 + rng.random() / 10},
            ),
            "run",
        )
    subprocess.run(["git", "add", "-A"], cwd=folder, check=True)
    subprocess.run(["git", "commit", "-qm", "Bulk registry"], cwd=folder, check=True)
    return reg


def timed(reg: Registry, out: Path, **kwargs: Any) -> dict[str, Any]:
    report = build_site(reg, out, **kwargs)
    return {
        "seconds": round(report.seconds, 2),
        "files": report.files,
        "written": len(report.written),
        "removed": len(report.removed),
        "workers": report.workers,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", type=int, default=40)
    parser.add_argument("--models", type=int, default=80)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--snapshots", type=int, default=4, help="per model")
    parser.add_argument(
        "--folder", type=Path, help="where to generate (default: a temporary folder)"
    )
    parser.add_argument(
        "--registry",
        type=Path,
        help="time (a clone of) an existing registry instead of generating one",
    )
    parser.add_argument(
        "--bulk",
        action="store_true",
        help="write the files directly and commit once (for large sizes) instead of through ops",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="modelyard-site-bench-"))
    try:
        started = time.perf_counter()
        if args.registry:
            # time a clone: the "one change" step commits, and must not touch the original
            given = Registry.open(args.registry)
            subprocess.run(
                ["git", "clone", "-q", str(given.worktree), str(work / "clone")], check=True
            )
            reg = Registry(work / "clone" / given.prefix)
            generated = None
        else:
            make = generate_bulk if args.bulk else generate
            reg = make(
                args.folder or work / "repo", args.recipes, args.models, args.runs, args.snapshots
            )
            generated = round(time.perf_counter() - started, 1)
        for var in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"):
            os.environ.pop(var, None)
        out = work / "site"
        results: dict[str, Any] = {
            "registry": {
                "recipes": recipes.list_recipes(reg).total,
                "models": models.list_models(reg).total,
                "runs": runs.list_runs(reg).total,
                "generated_seconds": generated,
            },
            "cpus": os.cpu_count(),
            "full": timed(reg, out),
            "unchanged": timed(reg, out),
        }
        first_model = models.list_models(reg, limit=1).models[0]
        models.update_model(reg, first_model.id, {"owner": "someone-else"})
        results["one_change"] = timed(reg, out)
        results["forced_full"] = timed(reg, out, incremental=False)
        # warm caches now: fresh builds with one worker, then with one per core
        for name, workers in (
            ("fresh_one_worker", "1"),
            ("fresh_all_cores", str(os.cpu_count() or 1)),
        ):
            shutil.rmtree(out)
            os.environ["MODELYARD_SITE_WORKERS"] = workers
            results[name] = timed(reg, out)
        os.environ.pop("MODELYARD_SITE_WORKERS")
        print(json.dumps(results, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
