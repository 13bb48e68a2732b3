"""`modelyard mcp` driven by the MCP SDK's own client, over stdio and streamable HTTP:
every tool listed with its schemas and annotations, every read tool called against the
demo registry (answers compared with ops), and write tools landing on a new branch while
the checked-out branch, git's index and the working tree stay as they were."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from conftest import git
from modelyard.cli.main import cli
from modelyard.ops import models, recipes, runs, versions
from modelyard.storage.registry import Registry
from server_support import free_port, serve_env

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "registry"
READ_TOOLS = {
    "search",
    "list_recipes",
    "list_models",
    "list_runs",
    "list_versions",
    "list_snapshots",
    "get_recipe",
    "get_model",
    "get_run",
    "get_version",
    "resolve_manifest",
    "diff_versions",
    "history",
    "models_as_of",
    "check_gate",
    "validate",
    "chat",
}
WRITE_TOOLS = {"create_run", "update_run", "create_version", "register_model", "set_model_status"}


def stdio(registry: Path) -> Client:
    return Client(
        StdioServerParameters(
            command=sys.executable,
            args=["-m", "modelyard", "--registry", str(registry), "mcp"],
            env=serve_env(),
        )
    )


async def call(client: Client, tool: str, args: dict[str, Any], schemas: dict[str, Any]) -> Any:
    """The tool's structured result, checked against the output schema it publishes."""
    result = await client.call_tool(tool, args)
    assert not result.is_error, f"{tool}: {result.content[0].text}"  # type: ignore[union-attr]
    jsonschema.validate(result.structured_content, schemas[tool])
    return result.structured_content


def writable_copy(tmp_path: Path) -> Path:
    """The demo registry in a new repository of its own, committed on `main`."""
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copytree(DEMO, repo / "registry")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "demo registry")
    return repo


def snapshot(repo: Path) -> tuple[str, str, str, str]:
    """What must not move: the checked-out branch and its commit, the index, the status."""
    index = hashlib.sha256((repo / ".git" / "index").read_bytes()).hexdigest()
    return (
        git(repo, "symbolic-ref", "HEAD"),
        git(repo, "rev-parse", "HEAD"),
        index,
        git(repo, "status", "--porcelain", "--untracked-files=all"),
    )


def test_stdio_lists_every_tool_with_schemas_and_answers_every_read_tool():
    reg = Registry(DEMO)

    async def session() -> None:
        async with stdio(DEMO) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            assert set(tools) == READ_TOOLS | WRITE_TOOLS
            schemas = {}
            for name, tool in tools.items():
                assert tool.description, name
                assert tool.input_schema["type"] == "object", name
                assert tool.output_schema, f"{name} publishes no output schema"
                schemas[name] = tool.output_schema
                assert tool.annotations is not None
                if name in READ_TOOLS:
                    assert tool.annotations.read_only_hint is True, name
                else:
                    assert tool.annotations.read_only_hint is False, name
                    assert tool.annotations.destructive_hint is True, name
                    assert "branch" in tool.input_schema["properties"], name

            prod = await call(client, "list_models", {"status": "production"}, schemas)
            want = models.list_models(reg, status="production", limit=500)
            assert [m["id"] for m in prod["models"]] == [m.id for m in want.models]
            assert prod["total"] == want.total == 3
            page = await call(client, "list_recipes", {"limit": 2, "offset": 1}, schemas)
            every = recipes.list_recipes(reg, limit=500)
            assert [r["id"] for r in page["recipes"]] == [r.id for r in every.recipes[1:3]]
            assert page["total"] == every.total
            failed = await call(client, "list_runs", {"status": "failed"}, schemas)
            assert {r["id"] for r in failed["runs"]} == {
                r.id for r in runs.list_runs(reg, status="failed", limit=500).runs
            }
            assert failed["runs"], "the demo has a failed run"
            run = await call(client, "get_run", {"run_id": failed["runs"][0]["id"]}, schemas)
            assert run["logs_text"] == failed["runs"][0]["logs_text"]

            model = await call(client, "get_model", {"model_id": "model_telco_nba"}, schemas)
            assert model == models.get_model(reg, "model_telco_nba").model_dump(mode="json")
            recipe = await call(client, "get_recipe", {"recipe_id": "recipe_pricing_base"}, schemas)
            assert recipe["version"] == recipes.get_recipe(reg, "recipe_pricing_base").version
            listed = await call(
                client, "list_versions", {"recipe_id": "recipe_pricing_base"}, schemas
            )
            numbers = [v["version_number"] for v in listed["versions"]]
            assert numbers == [
                v.version_number
                for v in versions.list_versions(reg, "recipe_pricing_base").versions
            ]
            assert len(numbers) >= 3
            one = await call(
                client,
                "get_version",
                {"recipe_id": "recipe_pricing_base", "version": numbers[1]},
                schemas,
            )
            assert one["version_number"] == numbers[1]
            snaps = await call(
                client, "list_snapshots", {"model_id": "model_freshmart_pricing"}, schemas
            )
            assert snaps["total"] == len(snaps["snapshots"]) > 0

            resolved = await call(
                client, "resolve_manifest", {"recipe_id": "recipe_pricing_freshmart"}, schemas
            )
            manifest, provenance = recipes.resolved_manifest(reg, "recipe_pricing_freshmart")
            assert resolved["manifest"] == manifest and resolved["provenance"] == provenance
            assert {"recipe_pricing_base", "recipe_pricing_freshmart"} <= set(provenance.values())
            old = await call(
                client,
                "resolve_manifest",
                {"recipe_id": "recipe_pricing_base", "version": numbers[0]},
                schemas,
            )
            assert old["version"] == numbers[0]
            assert old["manifest"] == listed["versions"][0]["manifest_json"]
            diff = await call(
                client,
                "diff_versions",
                {
                    "recipe_id": "recipe_pricing_base",
                    "from_version": numbers[0],
                    "to_version": numbers[1],
                },
                schemas,
            )
            assert diff["diff"]["changes"] == listed["versions"][1]["diff_from_prev"]["changes"]

            hist = await call(
                client, "history", {"kind": "model", "id": "model_freshmart_pricing"}, schemas
            )
            # from the demo's git history: registered, staged on 17 October, promoted on 18th
            assert [s["status"] for s in hist["status_changes"]] == [
                "draft",
                "staging",
                "production",
            ]
            assert hist["status_changes"][-1]["author"] == "Priya Natarajan"
            assert hist["status_changes"][-1]["at"].startswith("2026-10-18")
            as_of = await call(client, "models_as_of", {"as_of": "2026-11-01"}, schemas)
            in_prod = {m["model_id"] for m in as_of["models"] if m["status"] == "production"}
            assert in_prod == {
                "model_freshmart_pricing",
                "model_northwind_forecast",
                "model_retail_pricing",
            }
            assert "model_freshmart_pricing_v2" not in {m["model_id"] for m in as_of["models"]}

            found = await call(client, "search", {"query": "prophet weekly demand"}, schemas)
            assert found["hits"][0]["id"] in {
                "recipe_forecasting_base",
                "recipe_forecasting_northwind",
                "recipe_forecasting_retail",
                "model_northwind_forecast",
            }
            # the demo declares no gates: every promotion passes, and says so
            verdict = await call(
                client, "check_gate", {"model_id": "model_freshmart_pricing_v2"}, schemas
            )
            assert (verdict["gated"], verdict["passed"], verdict["status"]) == (
                False,
                True,
                "production",
            )
            report = await call(client, "validate", {}, schemas)
            assert report["ok"] is True and report["errors"] == 0
            reply = await call(
                client, "chat", {"message": "which models are in production?"}, schemas
            )
            assert reply["answered"] and "model_retail_pricing" in reply["reply"]

            missing = await client.call_tool("get_model", {"model_id": "model_nope"})
            assert missing.is_error
            assert "Model not found: model_nope" in missing.content[0].text  # type: ignore[union-attr]
            bad = await client.call_tool("list_models", {"limit": 501})
            assert bad.is_error

    asyncio.run(session())


def test_a_write_over_stdio_lands_on_a_new_branch_and_leaves_the_checkout_alone(tmp_path):
    repo = writable_copy(tmp_path)
    (repo / "notes.txt").write_text("my own uncommitted work\n")
    before = snapshot(repo)
    tree_before = git(repo, "ls-files", "-s")

    async def session() -> tuple[Any, Any]:
        async with stdio(repo / "registry") as client:
            moved = await client.call_tool(
                "set_model_status",
                {"model_id": "model_telco_nba", "status": "staging", "updated_by": "Agent Smith"},
            )
            again = await client.call_tool(
                "set_model_status",
                {
                    "model_id": "model_telco_nba",
                    "status": "staging",
                    "branch": moved.structured_content["branch"],
                },  # type: ignore[index]
            )
            return moved, again

    moved, again = asyncio.run(session())
    assert not moved.is_error, moved.content[0].text
    out = moved.structured_content
    assert out["branch"].startswith("modelyard/")
    assert out["record"]["status"] == "staging"
    assert snapshot(repo) == before, "the checkout moved"
    assert git(repo, "ls-files", "-s") == tree_before
    assert "status: draft" in (repo / "registry/models/model_telco_nba/model.yaml").read_text()
    # the branch: one commit on top of HEAD, changing exactly the model file
    assert git(repo, "rev-parse", out["branch"]) == out["commit"]
    assert git(repo, "rev-parse", f"{out['commit']}^") == out["base"] == before[1]
    assert git(repo, "diff", "--name-only", out["base"], out["commit"]) == (
        "registry/models/model_telco_nba/model.yaml"
    )
    on_branch = git(repo, "show", f"{out['commit']}:registry/models/model_telco_nba/model.yaml")
    assert "status: staging" in on_branch
    assert git(repo, "log", "-1", "--format=%an|%s", out["commit"]) == (
        "Agent Smith|Update model_telco_nba: status draft -> staging"
    )
    # a branch name already taken is refused, and nothing is made
    assert again.is_error and "already exists" in again.content[0].text
    assert git(repo, "rev-parse", out["branch"]) == out["commit"]


def test_a_write_touching_an_edited_file_is_refused(tmp_path):
    from modelyard.errors import DirtyTree
    from modelyard.mcp import writes

    repo = writable_copy(tmp_path)
    path = repo / "registry/models/model_telco_nba/model.yaml"
    path.write_text(path.read_text().replace("crm-analytics", "someone-else"))
    with pytest.raises(DirtyTree) as refused:
        writes.set_model_status(repo / "registry", "model_telco_nba", {"status": "staging"})
    assert refused.value.message == (
        "registry/models/model_telco_nba/model.yaml has uncommitted changes, so a change to it "
        "proposed on a branch could not be reviewed against HEAD"
    )
    assert git(repo, "branch", "--list", "modelyard/*") == ""


def test_http_serves_reads_and_writes_on_loopback(tmp_path):
    repo = writable_copy(tmp_path)
    before = snapshot(repo)
    port = free_port()
    log = (tmp_path / "mcp.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "modelyard",
            "--registry",
            str(repo / "registry"),
            "mcp",
            "--http",
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=serve_env(),
    )
    try:
        _wait_for_port(proc, port, tmp_path / "mcp.log")

        async def session() -> tuple[set[str], Any, Any]:
            async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                names = {t.name for t in (await client.list_tools()).tools}
                got = await client.call_tool("get_recipe", {"recipe_id": "recipe_nba_telco"})
                made = await client.call_tool(
                    "create_run",
                    {
                        "recipe_id": "recipe_nba_telco",
                        "recipe_version_id": "1.0.0",
                        "run_type": "eval",
                        "model_id": "model_telco_nba",
                    },
                )
                return names, got, made

        names, got, made = asyncio.run(session())
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
    assert names == READ_TOOLS | WRITE_TOOLS
    assert got.structured_content["id"] == "recipe_nba_telco"
    assert not made.is_error, made.content[0].text
    out = made.structured_content
    run_id = out["record"]["id"]
    assert out["record"]["status"] == "queued"
    assert snapshot(repo) == before
    assert not list((repo / "registry" / "runs").glob(f"*/{run_id}"))
    changed = git(repo, "diff", "--name-only", out["base"], out["branch"])
    assert changed.startswith("registry/runs/") and changed.endswith(f"{run_id}/run.yaml")


def _wait_for_port(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    import socket

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"mcp exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"mcp did not listen on {port}:\n{log.read_text()}")


def test_http_refuses_an_address_other_than_loopback(tmp_path):
    repo = writable_copy(tmp_path)
    result = CliRunner().invoke(
        cli, ["--registry", str(repo / "registry"), "mcp", "--http", "--host", "0.0.0.0"]
    )
    assert result.exit_code != 0
    assert "not a loopback address" in result.output
