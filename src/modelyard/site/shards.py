"""The catalog's data files: runs sharded by month (and, inside a month, into buckets of a
few hundred), one file of run rows per recipe, and a small index of them all. The runs
explorer, the run view and the comparison view read these in the browser, so the number of
files grows with months and recipes, not with runs.

Each data file is a script, `window.MODELYARD_DATA("<name>", <json>)`, not bare JSON: a page
opened from disk (`file://`) may load a script but not fetch a file. The JSON inside is
escaped like every JSON in a page (`render.json_for_script`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime
from typing import Any

from modelyard.domain.records import RunOut
from modelyard.site.render import json_for_script
from modelyard.site.rows import Indexes, iso_text

DATA = "data"
BUCKET_RUNS = 256  # runs per bucket file, about; a month has ceil(count / 256) buckets
RUN_PAGES_UP_TO = 2_000  # runs and snapshots; above, runs have no page or mirror of their own

# metric names whose lower values are better (errors, losses, drift), matched as words
_LOWER = re.compile(
    r"(^|[_\W])(mape|smape|wape|mae|mse|rmse|rmsle|mase|loss|error|err|logloss|brier|psi|kl|"
    r"js|drift|latency|wmape|bias|deviance)([_\W]|$)",
    re.IGNORECASE,
)


def script(name: str, payload: Any) -> bytes:
    """The data file `name`: a call the page's script registered before loading it."""
    return (
        f'window.MODELYARD_DATA("{name}", '.encode()
        + str(json_for_script(payload)).encode()
        + b");\n"
    )


def month_of(run: RunOut) -> str:
    """The month a run is filed under in the catalog's data (its creation month): what
    `iso_text(run.created_at)[:7]` gives, without formatting the whole time (every build
    asks for each of 100,000 runs)."""
    created = run.created_at
    if isinstance(created, datetime):
        return f"{created.year:04d}-{created.month:02d}"
    return iso_text(created)[:7]


def bucket_of(run_id: str, buckets: int) -> int:
    """FNV-1a of the id, modulo `buckets`; `assets/data.js` computes the same in the page."""
    value = 0x811C9DC5
    for char in run_id.encode():
        value = ((value ^ char) * 0x01000193) & 0xFFFFFFFF
    return value % buckets


def bucket_count(runs: int) -> int:
    return max(1, -(-runs // BUCKET_RUNS))


def metric_direction(name: str, manifests: list[dict[str, Any]]) -> str:
    """ "lower" or "higher" is better: from an acceptance or monitoring rule of any recipe
    (only `max` set: lower is better; only `min`: higher), else from the metric's name."""
    votes = {"lower": 0, "higher": 0}
    for manifest in manifests:
        rules = [
            ((manifest.get("evaluation") or {}).get("acceptance") or {}).get(name),
            ((manifest.get("monitoring") or {}).get("performance") or {}).get(name),
        ]
        for rule in rules:
            if isinstance(rule, dict):
                has_min, has_max = "min" in rule, "max" in rule
                if has_max and not has_min:
                    votes["lower"] += 1
                elif has_min and not has_max:
                    votes["higher"] += 1
    if votes["lower"] != votes["higher"]:
        return "lower" if votes["lower"] > votes["higher"] else "higher"
    return "lower" if _LOWER.search(name) else "higher"


def directions(cat: Any) -> dict[str, str]:
    """Every metric name any run reports, with the direction that is better."""
    names = sorted({name for run in cat.runs for name in run.metrics_json})
    manifests = [manifest for manifest, _ in cat.resolved.values()]
    return {name: metric_direction(name, manifests) for name in names}


def run_row(run: RunOut) -> list[Any]:
    """A run as the explorer lists it: [id, recipe, model, type, status, created, metrics]."""
    return [
        run.id,
        run.recipe_id,
        run.model_id,
        str(run.run_type),
        str(run.status),
        iso_text(run.created_at),
        dict(sorted(run.metrics_json.items())),
    ]


class RunData:
    """The runs of a catalog grouped the way the data files hold them."""

    def __init__(self, cat: Any, ix: Indexes) -> None:
        self.cat = cat
        self.ix = ix
        by_month: dict[str, list[RunOut]] = defaultdict(list)
        for run in cat.runs:  # newest first
            by_month[month_of(run)].append(run)
        self.months = dict(sorted(by_month.items(), reverse=True))
        self.buckets = {m: bucket_count(len(r)) for m, r in self.months.items()}
        self.directions = ix.directions or directions(cat)
        self._split: dict[str, list[list[RunOut]]] = {}

    def place(self, run: RunOut) -> str:
        """`<month>/<bucket>`: the data file a run's record is in."""
        month = month_of(run)
        return f"{month}/{bucket_of(run.id, self.buckets[month])}"

    def index(self) -> dict[str, Any]:
        facets = {
            "run_type": sorted({str(r.run_type) for r in self.cat.runs}),
            "status": sorted({str(r.status) for r in self.cat.runs}),
        }
        return {
            "total": len(self.cat.runs),
            "run_pages": self.ix.run_pages,
            "months": [
                {"month": m, "runs": len(runs), "buckets": self.buckets[m]}
                for m, runs in self.months.items()
            ],
            "directions": self.directions,
            "facets": facets,
            "recipes": {r.id: r.name for r in self.cat.recipes},
            "models": {m.id: m.name for m in self.cat.models},
        }

    def month_rows(self, month: str) -> list[list[Any]]:
        return [run_row(r) for r in self.months[month]]

    def bucket(self, month: str, number: int) -> dict[str, Any]:
        if month not in self._split:  # each run hashed once, not once per bucket of its month
            count = self.buckets[month]
            split: list[list[RunOut]] = [[] for _ in range(count)]
            for r in self.months[month]:
                split[bucket_of(r.id, count)].append(r)
            self._split = {month: split}  # one month at a time: a job renders one month
        return {r.id: r.model_dump(mode="json") for r in self._split[month][number]}

    def recipe_rows(self, recipe_id: str) -> dict[str, Any]:
        runs = self.ix.runs_by_recipe.get(recipe_id, [])
        return {"recipe": recipe_id, "runs": [run_row(r) for r in runs]}
