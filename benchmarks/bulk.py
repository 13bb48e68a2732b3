"""A registry of a given shape for the server and validate benchmarks: recipes and models
through the operations layer, runs and snapshots written as canonical files in one bulk
commit (thousands of single commits would only time git). Deterministic from `seed`."""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from modelyard.domain.enums import RunStatus, RunType  # noqa: E402
from modelyard.domain.ids import time_id  # noqa: E402
from modelyard.domain.records import MonitoringSnapshot, Run  # noqa: E402
from modelyard.ops import models, recipes, setup  # noqa: E402
from modelyard.storage import files, layout  # noqa: E402
from modelyard.storage.registry import Registry  # noqa: E402

MANIFEST: dict[str, Any] = {
    "data_sources": {"transactions": {"kind": "table", "uri": "warehouse.sales.transactions"}},
    "features": {"base_price": {"dtype": "float", "source": "transactions"}},
    "target": {"name": "units_sold", "dtype": "float", "kind": "regression"},
    "model": {"algorithm": "lightgbm", "hyperparameters": {"learning_rate": 0.05}},
    "pricing": {"objective": "revenue", "price_bounds": {"min_ratio": 0.8, "max_ratio": 1.2}},
}
YEAR = 365 * 24 * 3600


def generate(
    folder: Path,
    n_recipes: int,
    n_models: int,
    n_runs: int,
    n_snapshots: int = 0,
    children: bool = False,
    seed: int = 7,
) -> Registry:
    """`n_recipes` pricing baselines (each with an industry child when `children`), models
    spread over the baselines, runs and snapshots spread over the models and a year."""
    rng = random.Random(seed)
    reg = setup.init_registry(folder)
    baselines = []
    for i in range(n_recipes):
        base = recipes.create_recipe(
            reg,
            {
                "name": f"Pricing {i}",
                "model_family": "pricing",
                "level": "baseline",
                "manifest": MANIFEST,
            },
        ).id
        if children:
            child = {**MANIFEST, "pricing": {**MANIFEST["pricing"], "objective": "margin"}}
            recipes.create_recipe(
                reg,
                {
                    "name": f"Retail pricing {i}",
                    "model_family": "pricing",
                    "level": "industry",
                    "parent_id": base,
                    "manifest": child,
                },
            )
        baselines.append(base)
    model_list = [
        models.register_model(
            reg,
            {
                "name": f"Model {i}",
                "recipe_id": baselines[i % len(baselines)],
                "recipe_version_id": "1.0.0",
                "owner": "bench",
            },
        )
        for i in range(n_models)
    ]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with reg.mutate(f"Generate {n_runs} runs and {n_snapshots} snapshots") as m:
        for _ in range(n_runs):
            model = rng.choice(model_list)
            created = start + timedelta(seconds=rng.randrange(YEAR))
            run = Run(
                id=time_id("run", created),
                model_id=model.id,
                recipe_id=model.recipe_id,
                recipe_version_id=model.recipe_version_id,
                run_type=rng.choice(list(RunType)),
                status=RunStatus.succeeded,
                created_at=created,
                started_at=created,
                finished_at=created + timedelta(minutes=15),
                metrics_json={
                    "MAPE": round(rng.random(), 4),
                    "revenue_lift": round(rng.random() / 10, 4),
                },
            )
            rel = str(layout.run_file(run.id))
            m.write(rel, files.render(run, "run", rel))
        for _ in range(n_snapshots):
            model = rng.choice(model_list)
            captured = start + timedelta(seconds=rng.randrange(YEAR))
            snap = MonitoringSnapshot(
                id=time_id("snap", captured),
                model_id=model.id,
                captured_at=captured,
                performance_metrics_json={"MAPE": round(rng.random(), 4)},
            )
            rel = str(layout.snapshot_file(model.id, snap.id))
            m.write(rel, files.render(snap, "snapshot", rel))
    return reg
