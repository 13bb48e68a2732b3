"""Next steps as exact command lines and seed API calls, built only from real ids.

Every command here is one `modelyard` command with the seed's shape: path parameters
positional, query parameters and body fields as dashed options, a whole body with
`--body FILE`. A test parses every step the assistant suggests with the real CLI.
"""

from __future__ import annotations

import shlex
from typing import Any
from urllib.parse import quote

from modelyard.chat.knowledge import API
from modelyard.chat.response import ApiCall, NextStep


def _cli(*parts: str) -> str:
    return " ".join(["modelyard", *(shlex.quote(p) for p in parts)])


def show_recipe(recipe_id: str) -> NextStep:
    return NextStep(
        title=f"Show {recipe_id}",
        cli=_cli("recipes", "get", recipe_id),
        api=ApiCall(method="GET", path=f"{API}/recipes/{recipe_id}"),
    )


def _listing(kind: str, filters: dict[str, str]) -> NextStep:
    """`modelyard <kind> list` with a flag per filter, and the same query of the API."""
    opts = [
        p for key, value in sorted(filters.items()) for p in (f"--{key.replace('_', '-')}", value)
    ]
    query = "&".join(f"{k}={quote(v)}" for k, v in sorted(filters.items()))
    return NextStep(
        title=f"List these {kind}",
        cli=_cli(kind, "list", *opts),
        api=ApiCall(method="GET", path=f"{API}/{kind}" + (f"?{query}" if query else "")),
    )


def list_recipes(**filters: str) -> NextStep:
    return _listing("recipes", filters)


def list_models(**filters: str) -> NextStep:
    return _listing("models", filters)


def list_runs(**filters: str) -> NextStep:
    return _listing("runs", filters)


def list_versions(recipe_id: str) -> NextStep:
    return NextStep(
        title=f"List the versions of {recipe_id}",
        cli=_cli("versions", "list", recipe_id),
        api=ApiCall(method="GET", path=f"{API}/recipes/{recipe_id}/versions"),
    )


def show_version(recipe_id: str, version_id: str) -> NextStep:
    return NextStep(
        title=f"Show version {version_id}",
        cli=_cli("versions", "get", recipe_id, version_id),
        api=ApiCall(method="GET", path=f"{API}/recipes/{recipe_id}/versions/{version_id}"),
    )


def show_model(model_id: str) -> NextStep:
    return NextStep(
        title=f"Show {model_id}",
        cli=_cli("models", "get", model_id),
        api=ApiCall(method="GET", path=f"{API}/models/{model_id}"),
    )


def show_run(run_id: str) -> NextStep:
    return NextStep(
        title=f"Show {run_id} with its logs",
        cli=_cli("runs", "get", run_id),
        api=ApiCall(method="GET", path=f"{API}/runs/{run_id}"),
    )


def list_snapshots(model_id: str, limit: int = 10) -> NextStep:
    return NextStep(
        title=f"Show the latest monitoring snapshots of {model_id}",
        cli=_cli("monitoring", "list", model_id, "--limit", str(limit)),
        api=ApiCall(method="GET", path=f"{API}/models/{model_id}/monitoring?limit={limit}"),
    )


def clone(recipe_id: str, name: str, level: str | None = None) -> NextStep:
    extra = ["--level", level] if level else []
    query = f"name={quote(name)}" + (f"&level={level}" if level else "")
    return NextStep(
        title=f"Clone {recipe_id} as a new {level + ' ' if level else ''}child recipe",
        cli=_cli("recipes", "clone", recipe_id, "--name", name, *extra),
        api=ApiCall(method="POST", path=f"{API}/recipes/{recipe_id}/clone?{query}"),
        note="Choose the new recipe's name; the clone starts as a draft with no overrides.",
    )


def new_version(recipe_id: str, change_note: str) -> NextStep:
    return NextStep(
        title=f"Commit a new version of {recipe_id}",
        cli=_cli(
            "versions", "create", recipe_id, "--patch", "patch.yaml", "--change-note", change_note
        ),
        api=ApiCall(
            method="POST",
            path=f"{API}/recipes/{recipe_id}/versions",
            body={"recipe_id": recipe_id, "manifest_json": {}, "change_note": change_note},
        ),
        note="patch.yaml holds only what changes (null removes a key); it is deep-merged onto the "
        "current manifest. One value can also be set with --set PATH=VALUE. The API takes the "
        "full manifest in manifest_json. The version number is bumped from what changed.",
    )


def set_recipe_status(recipe_id: str, status: str) -> NextStep:
    verb = {"approved": "Approve", "archived": "Archive", "draft": "Return to draft"}[status]
    return NextStep(
        title=f"{verb} {recipe_id}",
        cli=_cli("recipes", "update", recipe_id, "--status", status),
        api=ApiCall(method="PUT", path=f"{API}/recipes/{recipe_id}", body={"status": status}),
    )


def register(recipe_id: str, version_id: str, name: str, owner: str) -> NextStep:
    body = {"name": name, "recipe_id": recipe_id, "recipe_version_id": version_id, "owner": owner}
    return NextStep(
        title=f"Register a model from {version_id}",
        cli=_cli(
            "models",
            "register",
            "--name",
            name,
            "--recipe-id",
            recipe_id,
            "--recipe-version-id",
            version_id,
            "--owner",
            owner,
        ),
        api=ApiCall(method="POST", path=f"{API}/models", body=body),
        note="Choose the model's name and owner.",
    )


def create_run(recipe_id: str, version_id: str, run_type: str, model_id: str | None) -> NextStep:
    body: dict[str, Any] = {
        "recipe_id": recipe_id,
        "recipe_version_id": version_id,
        "run_type": run_type,
        "model_id": model_id,
    }
    parts = [
        "runs",
        "create",
        "--recipe-id",
        recipe_id,
        "--recipe-version-id",
        version_id,
        "--run-type",
        run_type,
    ]
    if model_id:
        parts += ["--model-id", model_id]
    target = f" for {model_id}" if model_id else ""
    article = "an" if run_type.startswith("e") else "a"
    return NextStep(
        title=f"Queue {article} {run_type} run of {version_id}{target}",
        cli=_cli(*parts),
        api=ApiCall(method="POST", path=f"{API}/runs", body=body),
    )


def finish_run(run_id: str, status: str, metrics: dict[str, float]) -> NextStep:
    body: dict[str, Any] = {"status": status}
    parts = ["runs", "update", run_id, "--status", status]
    if metrics:
        body["metrics_json"] = metrics
        for name, value in sorted(metrics.items()):
            parts += ["--metric", f"{name}={value}"]
    return NextStep(
        title=f"Report {run_id} as {status}",
        cli=_cli(*parts),
        api=ApiCall(method="PUT", path=f"{API}/runs/{run_id}", body=body),
        note="Report the metrics the run really measured.",
    )


def set_model_status(model_id: str, status: str) -> NextStep:
    verb = {
        "production": "Promote",
        "staging": "Move to staging",
        "retired": "Retire",
        "draft": "Set",
    }[status]
    title = f"{verb} {model_id}" + (" to production" if status == "production" else "")
    return NextStep(
        title=title,
        cli=_cli("models", "update", model_id, "--status", status),
        api=ApiCall(method="PUT", path=f"{API}/models/{model_id}", body={"status": status}),
    )


def record_snapshot(model_id: str) -> NextStep:
    return NextStep(
        title=f"Record a monitoring snapshot of {model_id}",
        cli=_cli("monitoring", "create", model_id, "--body", "snapshot.yaml"),
        api=ApiCall(
            method="POST",
            path=f"{API}/models/{model_id}/monitoring",
            body={
                "model_id": model_id,
                "performance_metrics_json": {},
                "drift_metrics_json": {},
                "data_freshness_json": {},
                "alerts_json": {},
            },
        ),
        note="snapshot.yaml holds performance_metrics_json, drift_metrics_json, "
        "data_freshness_json and alerts_json, as measured.",
    )
