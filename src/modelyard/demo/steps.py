"""The demo's steps: one CLI command each (a recipe, a version, a model, a job's run, a
snapshot), dated on the story's clock. `story.py` tells the story with them."""

from __future__ import annotations

from typing import Any, Protocol

from modelyard.domain.resolve import set_value

PRIYA = "Priya Natarajan <priya@northwind.example>"
MEI = "Mei Chen <mei@northwind.example>"
TOMAS = "Tomás Ortega <tomas@northwind.example>"
AISHA = "Aisha Bello <aisha@northwind.example>"
BOT = "trainer-bot <ml-platform@northwind.example>"
SYNTHETIC_SEED = 17  # any fixed seed: the demo is the same on every build


class Runner(Protocol):
    def at(self, day: float, hour: int = 9, minute: int = 0) -> None: ...
    def file(self, data: Any) -> str: ...
    def __call__(self, *args: str) -> Any: ...


class Steps:
    def __init__(self, run: Runner) -> None:
        self.run = run
        self.manifests: dict[str, dict[str, Any]] = {}

    # -- helpers ---------------------------------------------------------------------------
    def recipe(
        self,
        day: float,
        who: str,
        rid: str,
        name: str,
        family: str,
        level: str,
        tags: list[str],
        manifest: dict[str, Any] | None = None,
        parent: str | None = None,
        description: str | None = None,
        note: str | None = None,
    ) -> None:
        self.run.at(day, 10)
        args = [
            "recipes",
            "create",
            "--id",
            rid,
            "--name",
            name,
            "--model-family",
            family,
            "--level",
            level,
            "--created-by",
            who,
        ]
        for tag in tags:
            args += ["--tag", tag]
        if parent:
            args += ["--parent-id", parent]
        if manifest is not None:
            args += ["--manifest", self.run.file(manifest)]
        if description:
            args += ["--description", description]
        if note:
            args += ["--change-note", note]
        self.run(*args)
        self.manifests[rid] = self.resolved(rid)

    def resolved(self, rid: str) -> dict[str, Any]:
        return self.run("recipes", "get", rid, "--manifest")["manifest"]

    def version(
        self,
        day: float,
        who: str,
        rid: str,
        note: str,
        changes: dict[str, Any],
        parent_version: str | None = None,
    ) -> str:
        self.run.at(day, 14, 30)
        manifest = self.resolved(rid)
        for path, value in changes.items():
            manifest = set_value(manifest, path, value)
        args = [
            "versions",
            "create",
            rid,
            "--manifest",
            self.run.file(manifest),
            "--change-note",
            note,
            "--created-by",
            who,
        ]
        if parent_version:
            args += ["--parent-version", parent_version]
        version: str = self.run(*args)["version_id"]
        return version

    def status(self, day: float, who: str, rid: str, status: str) -> None:
        self.run.at(day, 16)
        self.run("recipes", "update", rid, "--status", status, "--updated-by", who)

    def model(
        self, day: float, mid: str, name: str, rid: str, version: str, owner: str, description: str
    ) -> None:
        self.run.at(day, 11)
        self.run(
            "models",
            "register",
            "--id",
            mid,
            "--name",
            name,
            "--recipe-id",
            rid,
            "--recipe-version-id",
            version,
            "--owner",
            owner,
            "--description",
            description,
        )

    def promote(self, day: float, mid: str, status: str, who: str) -> None:
        self.run.at(day, 15)
        self.run("models", "update", mid, "--status", status, "--updated-by", who)

    def job(
        self,
        day: float,
        rid: str,
        version: str,
        run_type: str,
        model: str | None,
        outcome: str,
        metrics: dict[str, float] | None = None,
        logs: str = "",
        minutes: int = 20,
        artifacts: dict[str, str] | None = None,
    ) -> str:
        """Queue a run, start it, and (unless it is still going) finish it."""
        self.run.at(day, 6)
        args = [
            "runs",
            "create",
            "--recipe-id",
            rid,
            "--recipe-version-id",
            version,
            "--run-type",
            run_type,
            "--created-by",
            BOT,
        ]
        if model:
            args += ["--model-id", model]
        run_id: str = self.run(*args)["id"]
        if outcome == "queued":
            return run_id
        self.run.at(day, 6, 2)
        self.run("runs", "update", run_id, "--status", "running", "--updated-by", BOT)
        if outcome == "running":
            return run_id
        self.run.at(day, 6, 2 + minutes)
        body: dict[str, Any] = {"status": outcome, "logs_text": logs}
        if metrics:
            body["metrics_json"] = metrics
        if artifacts:
            body["artifacts_json"] = artifacts
        self.run("runs", "update", run_id, "--body", self.run.file(body), "--updated-by", BOT)
        return run_id

    def snapshot(
        self,
        day: float,
        mid: str,
        perf: dict[str, float],
        drift: dict[str, float],
        hours_old: float,
        alerts: dict[str, Any] | None = None,
    ) -> None:
        self.run.at(day, 7)
        from datetime import datetime, timedelta

        captured = datetime.fromisoformat(__import__("os").environ["GIT_AUTHOR_DATE"])
        body = {
            "model_id": mid,
            "performance_metrics_json": perf,
            "drift_metrics_json": drift,
            "data_freshness_json": {
                "last_update": (captured - timedelta(hours=hours_old)).strftime(
                    "%Y-%m-%dT%H:%M:%SZ"
                ),
                "age_hours": hours_old,
            },
            "alerts_json": alerts or {},
        }
        self.run("monitoring", "create", mid, "--body", self.run.file(body), "--created-by", BOT)

    def synthetic(
        self, day: float, who: str, rid: str, rows: int, example_run: dict[str, Any]
    ) -> None:
        self.run.at(day, 17)
        self.run(
            "synthetic",
            "generate",
            rid,
            "--rows",
            str(rows),
            "--seed",
            str(SYNTHETIC_SEED),
            "--run",
            self.run.file(example_run),
            "--created-by",
            who,
        )
