"""Generate a registry of a given size, in the real on-disk format and with real git history.

Every file is rendered by modelyard's own serializer (`storage.files.render`), exactly as
the CLI writes it; the history is streamed into one `git fast-import`, so a registry of
100,000 runs takes a minute, not a day of CLI calls. The same size and seed always give
the same files and the same commit ids.

    python benchmarks/generate.py --size small /tmp/reg-small
    python benchmarks/generate.py --size large /tmp/reg-large

What it makes (docs/registry.md: layout, versions, inheritance):
- recipes in lineages baseline -> industry -> client per model family; each version is a
  commit to its `manifest.yaml` with a new `version` (patch: a changed hyperparameter,
  minor: an added one); children store overrides only and pin their parent's version,
  moving the pin when they version after their parent did;
- models registered from a committed recipe version;
- runs in `runs/<YYYY-MM>/<run_id>/run.yaml` (some with `logs.txt`) and monitoring
  snapshots in `models/<id>/monitoring/`, committed in daily batches.
"""

from __future__ import annotations

import argparse
import bisect
import copy
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any, BinaryIO

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from modelyard.domain.ids import version_id
from modelyard.domain.records import (
    Extends,
    ManifestFile,
    Model,
    MonitoringSnapshot,
    Recipe,
    RegistrySettings,
    Run,
    SyntheticExample,
)
from modelyard.storage import files, layout


@dataclass(frozen=True)
class Size:
    recipes: int
    versions: int  # versions per recipe
    models: int
    runs: int
    snapshots: int
    days: int  # how long the history spans


SIZES = {
    "tiny": Size(recipes=12, versions=3, models=8, runs=60, snapshots=30, days=40),
    "small": Size(recipes=100, versions=3, models=50, runs=1_000, snapshots=500, days=120),
    # the catalog's browser tests: enough runs to page and filter through, quick to build
    "runs20k": Size(recipes=40, versions=2, models=60, runs=20_000, snapshots=300, days=240),
    "large": Size(
        recipes=1_000, versions=10, models=5_000, runs=100_000, snapshots=100_000, days=730
    ),
}

START = datetime(2024, 1, 1, tzinfo=UTC)
B32 = "0123456789abcdefghjkmnpqrstvwxyz"
PEOPLE = [
    ("Ada Lovelace", "ada@example.com"),
    ("Grace Hopper", "grace@example.com"),
    ("Alan Turing", "alan@example.com"),
    ("Katherine Johnson", "katherine@example.com"),
    ("Edsger Dijkstra", "edsger@example.com"),
    ("Barbara Liskov", "barbara@example.com"),
]
COMMITTER = ("modelyard bench", "bench@example.com")
INDUSTRIES = [
    "grocery",
    "fashion",
    "electronics",
    "pharmacy",
    "hardware",
    "travel",
    "telecom",
    "banking",
]
CLIENTS = [
    "northwind",
    "contoso",
    "fabrikam",
    "globex",
    "initech",
    "umbrella",
    "hooli",
    "acme",
    "stark",
]

BASE_MANIFESTS: dict[str, dict[str, Any]] = {
    "pricing": {
        "data_sources": {"transactions": {"kind": "table", "uri": "warehouse.sales.transactions"}},
        "features": {
            "base_price": {"dtype": "float", "source": "transactions"},
            "competitor_price": {"dtype": "float", "source": "transactions"},
            "promo_flag": {"dtype": "bool", "source": "transactions"},
        },
        "target": {"name": "units_sold", "dtype": "float", "kind": "regression"},
        "model": {
            "algorithm": "lightgbm",
            "hyperparameters": {"learning_rate": 0.05, "num_leaves": 31},
        },
        "training": {"split": "time", "window_days": 365},
        "evaluation": {"metrics": ["MAPE", "revenue_lift"], "acceptance": {"MAPE": {"max": 0.2}}},
        "monitoring": {"drift": {"PSI": {"warn": 0.1, "alert": 0.2}}},
        "pricing": {"objective": "revenue", "price_bounds": {"min_ratio": 0.8, "max_ratio": 1.2}},
    },
    "forecasting": {
        "data_sources": {"sales": {"kind": "table", "uri": "warehouse.sales.daily"}},
        "features": {
            "lag_7": {"dtype": "float", "source": "sales"},
            "lag_28": {"dtype": "float", "source": "sales"},
        },
        "target": {"name": "demand", "dtype": "float", "kind": "regression"},
        "model": {
            "algorithm": "lightgbm",
            "hyperparameters": {"learning_rate": 0.1, "num_leaves": 63},
        },
        "evaluation": {"metrics": ["WAPE"], "acceptance": {"WAPE": {"max": 0.3}}},
        "forecasting": {"horizon": 28, "frequency": "D", "quantiles": [0.1, 0.5, 0.9]},
    },
    "next_best_action": {
        "features": {"tenure_days": {"dtype": "int"}, "last_purchase_days": {"dtype": "int"}},
        "target": {"name": "accepted", "dtype": "bool", "kind": "classification"},
        "model": {
            "algorithm": "xgboost",
            "hyperparameters": {"learning_rate": 0.1, "max_depth": 6},
        },
        "evaluation": {"metrics": ["AUC"], "acceptance": {"AUC": {"min": 0.7}}},
        "next_best_action": {
            "actions": {"upgrade": {"name": "Offer upgrade"}, "retain": {"name": "Retention call"}}
        },
    },
    "location_scoring": {
        "features": {"footfall": {"dtype": "float"}, "competitors_1km": {"dtype": "int"}},
        "target": {"name": "revenue", "dtype": "float", "kind": "regression"},
        "model": {
            "algorithm": "random_forest",
            "hyperparameters": {"learning_rate": 0.2, "n_estimators": 300},
        },
        "evaluation": {"metrics": ["R2"], "acceptance": {"R2": {"min": 0.5}}},
        "location_scoring": {"geography": {"level": "postcode"}},
    },
}
METRICS = {
    "pricing": "MAPE",
    "forecasting": "WAPE",
    "next_best_action": "AUC",
    "location_scoring": "R2",
}


def when(ts: datetime) -> str:
    return f"{int(ts.timestamp())} +0000"


def ident(prefix: str, ts: datetime, rng: Random) -> str:
    return f"{prefix}_{ts:%Y%m%d%H%M%S}_" + "".join(B32[rng.randrange(32)] for _ in range(8))


def bump(version: str, kind: str) -> str:
    major, minor, patch = (int(p) for p in version.split("."))
    return f"{major}.{minor + 1}.0" if kind == "minor" else f"{major}.{minor}.{patch + 1}"


@dataclass
class RecipePlan:
    id: str
    name: str
    family: str
    level: str
    parent: RecipePlan | None
    created: datetime
    final_status: str
    # filled while the history is written: (time, version, bump kind)
    versions: list[tuple[datetime, str, str]] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)  # own manifest or overrides
    pin: str | None = None

    def version_at(self, ts: datetime) -> str:
        times = [v[0] for v in self.versions]
        return self.versions[max(0, bisect.bisect_right(times, ts) - 1)][1]


class Stream:
    """A `git fast-import` stream: one commit per `commit()` on refs/heads/main."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.commits = 0
        self.files = 0

    def data(self, payload: bytes) -> None:
        self.out.write(b"data %d\n" % len(payload))
        self.out.write(payload)
        self.out.write(b"\n")

    def commit(
        self, ts: datetime, author: tuple[str, str], message: str, changes: dict[str, bytes]
    ) -> None:
        self.commits += 1
        w = self.out.write
        w(b"commit refs/heads/main\n")
        w(f"author {author[0]} <{author[1]}> {when(ts)}\n".encode())
        w(f"committer {COMMITTER[0]} <{COMMITTER[1]}> {when(ts)}\n".encode())
        self.data(message.encode())
        for path, payload in changes.items():
            self.files += 1
            w(f"M 100644 inline registry/{path}\n".encode())
            self.data(payload)
        w(b"\n")


def render(record: Any, kind: str, rel: str, exclude: set[str] | None = None) -> bytes:
    return files.render(record, kind, rel, exclude).encode()


class Generator:
    def __init__(self, size: Size, seed: int, stream: Stream) -> None:
        self.size = size
        self.rng = Random(seed)
        self.stream = stream
        self.end = START + timedelta(days=size.days)
        self.recipes: list[RecipePlan] = []

    # -- plan ----------------------------------------------------------------------------
    def plan_recipes(self) -> None:
        rng, n = self.rng, self.size.recipes
        families = list(BASE_MANIFESTS)
        n_base = max(len(families), n // 10)
        n_industry = max(len(families), (n * 3) // 10)
        window = timedelta(days=self.size.days) * 0.25
        by_level: dict[tuple[str, str], list[RecipePlan]] = {}
        for i in range(n):
            family = families[i % len(families)]
            if i < n_base:
                level, parent = "baseline", None
                name = f"{family.replace('_', ' ').title()} Baseline {i // len(families) + 1}"
            elif i < n_base + n_industry:
                level, parent = "industry", rng.choice(by_level[(family, "baseline")])
                name = f"{family.replace('_', ' ').title()} {rng.choice(INDUSTRIES).title()} {i}"
            else:
                level, parent = "client", rng.choice(by_level[(family, "industry")])
                name = f"{family.replace('_', ' ').title()} {rng.choice(CLIENTS).title()} {i}"
            created = START + window * (i / n) + timedelta(seconds=rng.randrange(3600))
            status = rng.choices(["approved", "draft", "archived"], [80, 15, 5])[0]
            plan = RecipePlan(
                f"recipe_{family}_{level}_{i:05d}", name, family, level, parent, created, status
            )
            self.recipes.append(plan)
            by_level.setdefault((family, level), []).append(plan)

    # -- events --------------------------------------------------------------------------
    def events(self) -> list[tuple[datetime, int, Any]]:
        """(time, order, action) of every commit, so the history reads in time order."""
        out: list[tuple[datetime, int, Any]] = []
        span = self.end - START
        for plan in self.recipes:
            out.append((plan.created, 0, ("create", plan)))
            # versions spread over the first 70% of the history, after creation
            last = START + span * 0.7
            for k in range(1, self.size.versions):
                gap = (last - plan.created) / self.size.versions
                ts = plan.created + gap * k + timedelta(seconds=self.rng.randrange(600))
                out.append((ts, 1, ("version", plan, k)))
        return out

    def recipe_files(
        self, plan: RecipePlan, ts: datetime, version: str, note: str
    ) -> dict[str, bytes]:
        extends = (
            Extends(recipe=plan.parent.id, version=plan.pin) if plan.parent and plan.pin else None
        )
        mf = ManifestFile(version=version, extends=extends, manifest=plan.manifest)
        status = "draft" if len(plan.versions) < 2 else plan.final_status
        recipe = Recipe(
            id=plan.id,
            name=plan.name,
            model_family=plan.family,
            level=plan.level,
            status=status,
            parent_id=plan.parent.id if plan.parent else None,
            tags=[plan.level, plan.family.replace("_", "-")],
            description=f"{plan.name}: a generated {plan.level} recipe.",
            created_at=plan.created,
            updated_at=ts,
        )
        rf, mfile = str(layout.recipe_file(plan.id)), str(layout.manifest_file(plan.id))
        return {
            rf: render(recipe, "recipe", rf),
            mfile: render(mf, "manifest", mfile, exclude={"extends"} if extends is None else None),
        }

    def create(self, plan: RecipePlan) -> None:
        if plan.parent is None:
            plan.manifest = copy.deepcopy(BASE_MANIFESTS[plan.family])
        else:
            plan.pin = plan.parent.versions[-1][1]
            plan.manifest = {
                "model": {
                    "hyperparameters": {"learning_rate": round(self.rng.uniform(0.01, 0.3), 3)}
                }
            }
        plan.versions.append((plan.created, "1.0.0", ""))
        changes = self.recipe_files(plan, plan.created, "1.0.0", "")
        if plan.parent is None:
            rel = str(layout.synthetic_file(plan.id))
            example = SyntheticExample(
                recipe_id=plan.id,
                # the earlier `columns` form, which validate reads without frictionless: the
                # benchmarks measure the registry's own reads, not Table Schema checks
                dataset_schema_json={
                    "columns": {
                        name: spec["dtype"] for name, spec in plan.manifest["features"].items()
                    }
                },
                sample_rows_json=[
                    {name: round(self.rng.uniform(0, 100), 2) for name in plan.manifest["features"]}
                    for _ in range(3)
                ],
                example_run_json={
                    "run_type": "train",
                    "metrics_json": {METRICS[plan.family]: 0.15},
                },
                created_at=plan.created,
                updated_at=plan.created,
            )
            changes[rel] = render(example, "synthetic-example", rel)
        author = self.rng.choice(PEOPLE)
        self.stream.commit(plan.created, author, f"Create recipe {plan.id}: {plan.name}", changes)

    def version(self, plan: RecipePlan, ts: datetime, k: int) -> None:
        rng = self.rng
        kind = "minor" if k % 3 == 0 else "patch"
        params = plan.manifest.setdefault("model", {}).setdefault("hyperparameters", {})
        if kind == "minor":
            params[f"param_{k}"] = rng.randrange(1, 100)
            note = f"Add hyperparameter param_{k}"
        else:
            params["learning_rate"] = round(rng.uniform(0.01, 0.3), 3)
            note = "Tune learning_rate"
        if plan.parent is not None:
            latest = plan.parent.version_at(ts)
            if latest != plan.pin:
                # the parent's changes between the pins count too; they are patch or minor
                between = [
                    v[2]
                    for v in plan.parent.versions
                    if _semver(plan.pin or "0.0.0") < _semver(v[1]) <= _semver(latest)
                ]
                if "minor" in between:
                    kind = "minor"
                plan.pin = latest
                note += f"; follow {plan.parent.id} {latest}"
        new = bump(plan.versions[-1][1], kind)
        plan.versions.append((ts, new, kind))
        self.stream.commit(ts, rng.choice(PEOPLE), note, self.recipe_files(plan, ts, new, note))

    def models(self) -> list[tuple[Model, datetime]]:
        """Models, registered in the first 40% of the history from recipes that are not archived."""
        rng = self.rng
        usable = [p for p in self.recipes if p.final_status != "archived"]
        span = (self.end - START) * 0.4
        out = []
        for i in range(self.size.models):
            plan = usable[i % len(usable)]
            ts = max(
                plan.created + timedelta(hours=1), START + span * ((i + 1) / (self.size.models + 1))
            )
            if plan.final_status == "approved":
                status = rng.choices(
                    ["production", "staging", "draft", "retired"], [40, 30, 20, 10]
                )[0]
            else:
                status = rng.choice(["draft", "staging"])
            name = f"{plan.name} model {i}"
            model = Model(
                id=f"model_{plan.family}_{i:05d}",
                name=name,
                model_family=plan.family,
                recipe_id=plan.id,
                recipe_version_id="",
                status=status,
                owner=rng.choice(PEOPLE)[0],
                description=f"Model {i} built from {plan.id}.",
                created_at=ts,
                updated_at=ts,
            )
            out.append((model, ts))
        return out

    # -- the whole history -----------------------------------------------------------------
    def run(self) -> None:
        rng, size = self.rng, self.size
        settings = RegistrySettings(name=f"benchmark registry ({size.runs} runs)")
        self.stream.commit(
            START - timedelta(days=1),
            PEOPLE[0],
            "Start modelyard registry 'benchmark'",
            {layout.SETTINGS: render(settings, "settings", layout.SETTINGS)},
        )
        self.plan_recipes()
        plans = {p.id: p for p in self.recipes}
        models = self.models()
        events = self.events()
        for model, ts in models:
            events.append((ts, 2, ("model", model)))
        # runs and snapshots, committed in one batch per day
        batches: dict[int, list[tuple[str, Any]]] = {}
        runnable = [m for m, _ in models if m.status != "retired"] or [m for m, _ in models]
        reg_time = {m.id: ts for m, ts in models}
        first = START + (self.end - START) * 0.4
        seconds = int((self.end - first).total_seconds())
        for _ in range(size.runs):
            model = rng.choice(runnable)
            ts = first + timedelta(seconds=rng.randrange(seconds))
            batches.setdefault((ts - START).days, []).append(
                ("run", (model if rng.random() < 0.8 else None, plans[model.recipe_id], ts))
            )
        monitored = [
            m for m, _ in models if m.status in ("production", "staging", "retired")
        ] or runnable
        for _ in range(size.snapshots):
            model = rng.choice(monitored)
            ts = max(reg_time[model.id], first) + timedelta(seconds=rng.randrange(seconds // 2))
            batches.setdefault((ts - START).days, []).append(("snapshot", (model, ts)))
        for day, items in batches.items():
            events.append(
                (START + timedelta(days=day + 1) - timedelta(seconds=1), 3, ("batch", items))
            )
        events.sort(key=lambda e: (e[0], e[1], _order(e[2])))
        for ts, _, action in events:
            what = action[0]
            if what == "create":
                self.create(action[1])
            elif what == "version":
                self.version(action[1], ts, action[2])
            elif what == "model":
                self.register(action[1], plans[action[1].recipe_id], ts)
            else:
                self.batch(ts, action[1])

    def register(self, model: Model, plan: RecipePlan, ts: datetime) -> None:
        version = version_id(plan.id, plan.version_at(ts))
        model.recipe_version_id = version
        rel = str(layout.model_file(model.id))
        self.stream.commit(
            ts,
            (model.owner, _email(model.owner)),
            f"Register model {model.id} from {version}",
            {rel: render(model, "model", rel)},
        )

    def batch(self, ts: datetime, items: list[tuple[str, Any]]) -> None:
        rng = self.rng
        changes: dict[str, bytes] = {}
        n_runs = n_snaps = 0
        for kind, item in items:
            if kind == "run":
                model, plan, created = item
                n_runs += 1
                status = rng.choices(["succeeded", "failed", "running", "queued"], [70, 15, 10, 5])[
                    0
                ]
                started = (
                    created + timedelta(seconds=rng.randrange(5, 120))
                    if status != "queued"
                    else None
                )
                finished = (
                    started + timedelta(minutes=rng.randrange(2, 90))
                    if status in ("succeeded", "failed")
                    else None
                )
                metric = METRICS[plan.family]
                run = Run(
                    id=ident("run", created, rng),
                    model_id=model.id if model else None,
                    recipe_id=plan.id,
                    recipe_version_id=model.recipe_version_id
                    if model
                    else version_id(plan.id, plan.version_at(created)),
                    run_type=rng.choices(["train", "eval", "backtest"], [50, 35, 15])[0],
                    status=status,
                    created_at=created,
                    started_at=started,
                    finished_at=finished,
                    metrics_json={
                        metric: round(rng.uniform(0.05, 0.95), 4),
                        "rows": float(rng.randrange(10_000, 5_000_000)),
                    }
                    if status == "succeeded"
                    else {},
                    artifacts_json={
                        "model_uri": f"s3://models/{plan.id}/{created:%Y%m%d%H%M%S}.bin"
                    }
                    if status == "succeeded"
                    else {},
                )
                rel = str(layout.run_file(run.id))
                changes[rel] = render(run, "run", rel)
                if status in ("succeeded", "failed") and rng.random() < 0.1:
                    changes[str(layout.logs_file(run.id))] = (
                        f"{run.started_at:%Y-%m-%dT%H:%M:%SZ} start {run.run_type}\n"
                        f"{run.finished_at:%Y-%m-%dT%H:%M:%SZ} {status}\n"
                    ).encode()
            else:
                model, captured = item
                n_snaps += 1
                alerts = {"drift": "PSI above alert threshold"} if rng.random() < 0.1 else {}
                snap = MonitoringSnapshot(
                    id=ident("snap", captured, rng),
                    model_id=model.id,
                    captured_at=captured,
                    performance_metrics_json={
                        METRICS[model.model_family]: round(rng.uniform(0.05, 0.95), 4)
                    },
                    drift_metrics_json={"PSI": round(rng.uniform(0, 0.3), 4)},
                    data_freshness_json={"max_age_hours": rng.randrange(1, 48)},
                    alerts_json=alerts,
                )
                rel = str(layout.snapshot_file(model.id, snap.id))
                changes[rel] = render(snap, "snapshot", rel)
        self.stream.commit(
            ts, COMMITTER, f"Record {n_runs} runs and {n_snaps} monitoring snapshots", changes
        )


def _semver(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in v.split("."))


def _email(name: str) -> str:
    return next((e for n, e in PEOPLE if n == name), "bench@example.com")


def _order(action: Any) -> str:
    what, item = action[0], action[1]
    return getattr(item, "id", "") if what != "batch" else ""


def generate(
    out: Path, size: str | Size = "small", seed: int = 7, quiet: bool = True
) -> dict[str, Any]:
    """Make `out` a git repository holding a generated registry in `out/registry`; return counts."""
    spec = SIZES[size] if isinstance(size, str) else size
    out.mkdir(parents=True, exist_ok=False)
    started = time.perf_counter()
    subprocess.run(["git", "init", "-q", "-b", "main", str(out)], check=True)
    proc = subprocess.Popen(
        ["git", "fast-import", "--quiet", "--done"], cwd=out, stdin=subprocess.PIPE
    )
    assert proc.stdin is not None
    stream = Stream(proc.stdin)
    Generator(spec, seed, stream).run()
    proc.stdin.write(b"done\n")
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    imported = time.perf_counter()
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=out, check=True)
    done = time.perf_counter()
    counts = {
        "commits": stream.commits,
        "file_writes": stream.files,
        "import_s": round(imported - started, 1),
        "checkout_s": round(done - imported, 1),
    }
    if not quiet:
        print(f"{out}: {counts}")
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="a new folder for the repository")
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    generate(args.out, args.size, args.seed, quiet=False)


if __name__ == "__main__":
    main()
