"""The seed's usage examples 1, 2 and 3, run with real `curl` against a real
`python -m modelyard serve` process on a free loopback port.

Each command is the seed's text with its placeholders filled from earlier responses. It is
split like a shell would split words (shlex) and run without a shell, so the unquoted `&` of
Example 2's URL stays part of the URL, as the example means it to.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import git, manifest
from modelyard.storage.registry import Registry
from server_support import ServerProcess, running_server

pytestmark = pytest.mark.slow

EXAMPLE_1 = [
    "curl http://localhost:8000/api/ml-development/recipes?model_family=pricing",
    "curl -X POST http://localhost:8000/api/ml-development/recipes/recipe_pricing_base/clone?name=Retail%20Pricing%20v1",
    """curl -X POST http://localhost:8000/api/ml-development/recipes/{new_recipe_id}/versions \\
  -H "Content-Type: application/json" \\
  -d '{"recipe_id": "{new_recipe_id}", "manifest_json": {...}, "change_note": "Added retail features"}'""",  # noqa: E501
    """curl -X PUT http://localhost:8000/api/ml-development/recipes/{new_recipe_id} \\
  -H "Content-Type: application/json" \\
  -d '{"status": "approved"}'""",
    """curl -X POST http://localhost:8000/api/ml-development/models \\
  -H "Content-Type: application/json" \\
  -d '{"name": "Production Retail Pricing", "recipe_id": "{new_recipe_id}", "recipe_version_id": "{version_id}", "owner": "team"}'""",  # noqa: E501
    """curl -X POST http://localhost:8000/api/ml-development/runs \\
  -H "Content-Type: application/json" \\
  -d '{"recipe_id": "{new_recipe_id}", "recipe_version_id": "{version_id}", "run_type": "train", "model_id": "{model_id}"}'""",  # noqa: E501
    """curl -X PUT http://localhost:8000/api/ml-development/runs/{run_id} \\
  -H "Content-Type: application/json" \\
  -d '{"status": "succeeded", "metrics_json": {"revenue_lift": 0.045}}'""",
    """curl -X PUT http://localhost:8000/api/ml-development/models/{model_id} \\
  -H "Content-Type: application/json" \\
  -d '{"status": "production"}'""",
    """curl -X POST http://localhost:8000/api/ml-development/models/{model_id}/monitoring \\
  -H "Content-Type: application/json" \\
  -d '{"model_id": "{model_id}", "performance_metrics_json": {"revenue_lift": 0.042}, ...}'""",
]
EXAMPLE_2 = [
    "curl http://localhost:8000/api/ml-development/runs?model_id={model_id}&status=succeeded",
    "curl http://localhost:8000/api/ml-development/runs/{run_id}",
]
EXAMPLE_3 = [
    "curl http://localhost:8000/api/ml-development/models/{model_id}/monitoring?limit=10",
    "curl http://localhost:8000/api/ml-development/models/{model_id}",
]


def run_curl(server: ServerProcess, command: str, values: dict[str, str]) -> tuple[int, Any]:
    for key, value in values.items():
        command = command.replace("{" + key + "}", value)
    command = command.replace("http://localhost:8000", server.base)
    assert "{" + "new_recipe_id" + "}" not in command
    argv = shlex.split(command.replace("\\\n", " "))  # a shell joins continued lines
    assert argv[0] == "curl"
    proc = subprocess.run(
        [*argv, "-sS", "-w", "\n%{http_code}"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    body, _, status = proc.stdout.rpartition("\n")
    return int(status), json.loads(body)


def test_seed_examples_with_curl(reg: Registry, base_recipe: str, tmp_path: Path) -> None:
    start = int(git(reg.worktree, "rev-list", "--count", "HEAD"))
    retail = manifest("pricing")
    retail["features"]["store_format"] = {"dtype": "category", "source": "transactions"}
    rest_of_snapshot = (
        ', "drift_metrics_json": {"PSI": 0.08}, '
        '"data_freshness_json": {"last_update": "2024-01-15T11:00:00Z"}, "alerts_json": {}'
    )

    def fill(command: str) -> str:
        """The seed's `...`: step 3's whole manifest, step 9's other snapshot fields."""
        command = command.replace(
            '"manifest_json": {...}', '"manifest_json": ' + json.dumps(retail)
        )
        return command.replace(", ...}'", rest_of_snapshot + "}'")

    with running_server(reg.root, log_dir=tmp_path) as server:
        ids: dict[str, str] = {}
        # Example 1
        status, body = run_curl(server, EXAMPLE_1[0], ids)
        assert status == 200 and [r["id"] for r in body["recipes"]] == [base_recipe]
        status, body = run_curl(server, EXAMPLE_1[1], ids)
        assert (
            status == 201
            and body["name"] == "Retail Pricing v1"
            and body["parent_id"] == base_recipe
        )
        ids["new_recipe_id"] = body["id"]
        status, body = run_curl(server, fill(EXAMPLE_1[2]), ids)
        assert status == 201, body
        # features is one of the registry's breaking paths: a new feature is a major version
        assert body["version_number"] == "2.0.0" and body["change_note"] == "Added retail features"
        assert body["manifest_json"]["features"]["store_format"]["dtype"] == "category"
        ids["version_id"] = body["version_id"]
        status, body = run_curl(server, EXAMPLE_1[3], ids)
        assert status == 200 and body["status"] == "approved"
        status, body = run_curl(server, EXAMPLE_1[4], ids)
        assert (
            status == 201
            and body["recipe_version_id"] == ids["version_id"]
            and body["status"] == "draft"
        )
        ids["model_id"] = body["id"]
        status, body = run_curl(server, EXAMPLE_1[5], ids)
        assert status == 201 and body["status"] == "queued" and body["model_id"] == ids["model_id"]
        ids["run_id"] = body["id"]
        status, body = run_curl(server, EXAMPLE_1[6], ids)
        assert status == 200 and body["status"] == "succeeded"
        assert body["metrics_json"] == {"revenue_lift": 0.045} and body["finished_at"]
        status, body = run_curl(server, EXAMPLE_1[7], ids)
        assert status == 200 and body["status"] == "production"
        status, body = run_curl(server, fill(EXAMPLE_1[8]), ids)
        assert status == 201, body
        assert (
            body["performance_metrics_json"] == {"revenue_lift": 0.042}
            and body["alerts_json"] == {}
        )
        snapshot_id = body["id"]

        # Example 2
        status, body = run_curl(server, EXAMPLE_2[0], ids)
        assert status == 200 and body["total"] == 1 and body["runs"][0]["id"] == ids["run_id"]
        status, body = run_curl(server, EXAMPLE_2[1], ids)
        assert (
            status == 200
            and body["status"] == "succeeded"
            and body["recipe_id"] == ids["new_recipe_id"]
        )

        # Example 3
        status, body = run_curl(server, EXAMPLE_3[0], ids)
        assert status == 200 and [s["id"] for s in body["snapshots"]] == [snapshot_id]
        status, body = run_curl(server, EXAMPLE_3[1], ids)
        assert status == 200 and body["status"] == "production" and body["owner"] == "team"

        # the seed's error shapes over the wire
        status, body = run_curl(
            server, "curl http://localhost:8000/api/ml-development/recipes/recipe_nope", ids
        )
        assert (status, body) == (404, {"detail": "Recipe not found"})
        status, body = run_curl(
            server, "curl http://localhost:8000/api/ml-development/recipes?model_family=x", ids
        )
        assert status == 400 and body["detail"].startswith("Invalid model_family value")

    # every write one commit: clone, version, approve, register, run, update, promote, snapshot
    assert int(git(reg.worktree, "rev-list", "--count", "HEAD")) == start + 8
    assert git(reg.worktree, "status", "--porcelain") == ""
