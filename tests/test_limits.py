"""The bounds of domain.limits (#18): too many metrics, a lineage too deep and data nested too
deep are refused as errors naming the file (or the request field), never a RecursionError,
unbounded memory or an "Unexpected error ... This is a bug"."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import manifest
from limits_support import commit_all, nested, write_chain
from modelyard.domain.limits import MAX_LINEAGE_DEPTH, MAX_METRICS, MAX_NESTING
from modelyard.errors import LineageTooDeep, ValidationFailed
from modelyard.ops import models, recipes, runs, versions
from modelyard.server.app import create_app
from modelyard.storage import layout, yamlio
from modelyard.storage.registry import Registry
from server_support import API

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SRC = Path(__file__).resolve().parents[1] / "src"
TOO_DEEP = f"the lineage is deeper than {MAX_LINEAGE_DEPTH} recipes"
NESTED = f"nested more than {MAX_NESTING} levels deep"


def cli(reg: Registry, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.run(
        [sys.executable, "-m", "modelyard", "--registry", str(reg.root), *args],
        cwd=reg.worktree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_clean_failure(done: subprocess.CompletedProcess[str], *parts: str) -> None:
    """Exit 1 with a message holding every part, and no sign of a bug."""
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "Traceback" not in out and "This is a bug" not in out and "RecursionError" not in out, (
        out
    )
    for part in parts:
        assert part in out, out


@pytest.fixture
def client(reg: Registry) -> Iterator[TestClient]:
    with TestClient(create_app(reg), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def run_id(reg: Registry, base_recipe: str) -> str:
    return runs.create_run(
        reg,
        {
            "recipe_id": base_recipe,
            "recipe_version_id": "ver_pricing_base_v1.0.0",
            "run_type": "train",
        },
    ).id


def too_many_metrics() -> dict[str, float]:
    return {f"m{i}": float(i) for i in range(MAX_METRICS + 1)}


def loc_of(body: dict[str, object]) -> list[object]:
    return [e["loc"] for e in body["detail"]]  # type: ignore[index, union-attr]


# -- metrics -------------------------------------------------------------------------------


def test_a_run_file_with_too_many_metrics_fails_validate_naming_file_field_and_limit(reg, run_id):
    rel = layout.run_file(run_id)
    data = yamlio.load(reg.path(rel).read_bytes()).data
    data["metrics_json"] = too_many_metrics()
    reg.path(rel).write_text(yamlio.dump(data))
    commit_all(reg, "a run with too many metrics")
    done = cli(reg, "validate")
    assert done.returncode == 1, done.stdout + done.stderr
    line = next(x for x in done.stdout.splitlines() if "metrics_json" in x)
    assert "metrics_json: 10,001 metrics; at most 10,000 are allowed" in line
    # grouped under the file, with the line of the field
    assert done.stdout.splitlines()[0] == reg.display(rel)
    assert line.split()[1:3] == ["error", "[schema]"] and line.split()[0].endswith(":1")
    # and every command reading the run says the same, as a clear error
    assert_clean_failure(
        cli(reg, "runs", "get", run_id),
        reg.display(rel),
        "metrics_json",
        "10,001 metrics; at most 10,000",
    )


def test_exactly_max_metrics_is_accepted(reg, run_id):
    metrics = {f"m{i}": 0.5 for i in range(MAX_METRICS)}
    assert len(runs.update_run(reg, run_id, {"metrics_json": metrics}).metrics_json) == MAX_METRICS


def test_an_api_body_with_too_many_metrics_is_a_422_on_its_field(client, reg, run_id):
    r = client.put(
        f"{API}/runs/{run_id}", json={"status": "running", "metrics_json": too_many_metrics()}
    )
    assert r.status_code == 422, r.text
    assert loc_of(r.json()) == [["body", "metrics_json"]]
    assert "10,001 metrics; at most 10,000 are allowed" in r.json()["detail"][0]["msg"]
    model = models.register_model(
        reg,
        {
            "name": "Pricing Prod",
            "recipe_id": "recipe_pricing_base",
            "recipe_version_id": "ver_pricing_base_v1.0.0",
            "owner": "team",
        },
    )
    r = client.post(
        f"{API}/models/{model.id}/monitoring", json={"drift_metrics_json": too_many_metrics()}
    )
    assert r.status_code == 422, r.text
    assert loc_of(r.json()) == [["body", "drift_metrics_json"]]


def test_the_schemas_bound_the_metric_maps():
    from modelyard.domain.schemas import schema_for

    assert schema_for("run")["properties"]["metrics_json"]["maxProperties"] == MAX_METRICS
    snapshot = schema_for("snapshot")["properties"]
    assert snapshot["performance_metrics_json"]["maxProperties"] == MAX_METRICS
    assert snapshot["drift_metrics_json"]["maxProperties"] == MAX_METRICS


# -- lineage depth -------------------------------------------------------------------------


@pytest.fixture
def chain_1000(reg: Registry) -> list[str]:
    return write_chain(reg, 1000)


def test_a_1000_recipe_chain_is_a_clear_error_in_every_command(reg, chain_1000, tmp_path):
    deepest = chain_1000[-1]
    deepest_file = reg.display(layout.manifest_file(deepest))
    started = time.monotonic()
    done = cli(reg, "validate")
    took = time.monotonic() - started
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "This is a bug" not in done.stderr
    # every recipe beyond the limit is an error on its recipe.yaml; the first 32 are fine
    depth_lines = [x for x in done.stdout.splitlines() if "[lineage-depth]" in x]
    assert len(depth_lines) == 1000 - MAX_LINEAGE_DEPTH
    assert f"failed: {1000 - MAX_LINEAGE_DEPTH} errors, 0 warnings" in done.stdout
    assert reg.display(layout.recipe_file(chain_1000[MAX_LINEAGE_DEPTH])) in done.stdout
    assert reg.display(layout.recipe_file(chain_1000[MAX_LINEAGE_DEPTH - 1])) not in done.stdout
    assert took < 60, f"validate took {took:.1f}s"

    for args in (
        ["versions", "list", deepest],
        ["recipes", "get", deepest, "--manifest"],
        ["chat", f"explain {deepest}"],
    ):
        assert_clean_failure(
            cli(reg, *args), deepest_file, f"extends: {TOO_DEEP}", f"{deepest} -> "
        )
    done = cli(reg, "site", "build", "--out", str(tmp_path / "site"))
    assert_clean_failure(done, "/manifest.yaml: extends: " + TOO_DEEP)
    assert len((done.stderr).strip().splitlines()) == 1, done.stderr


def test_the_api_answers_a_too_deep_lineage_with_the_file(client, chain_1000):
    deepest = chain_1000[-1]
    r = client.get(f"{API}/recipes/{deepest}/versions")
    assert r.status_code == 500
    assert (
        TOO_DEEP in r.json()["detail"] and f"recipes/{deepest}/manifest.yaml" in r.json()["detail"]
    )
    assert (
        client.get(f"{API}/recipes/{chain_1000[MAX_LINEAGE_DEPTH - 1]}/versions").status_code == 200
    )


def test_a_chain_exactly_at_the_limit_works_and_no_child_can_be_added(reg, client):
    ids = write_chain(reg, MAX_LINEAGE_DEPTH)
    deepest = ids[-1]
    done = cli(reg, "validate")
    assert done.returncode == 0, done.stdout + done.stderr
    resolved, provenance = recipes.resolved_manifest(reg, deepest)
    assert resolved["model"]["hyperparameters"]["num_leaves"] == 31 + MAX_LINEAGE_DEPTH - 1
    assert provenance["model.hyperparameters.num_leaves"] == deepest
    assert len(versions.list_versions(reg, deepest).versions) == 1

    body = {
        "name": "One Too Many",
        "model_family": "pricing",
        "level": "baseline",
        "parent_id": deepest,
    }
    r = client.post(f"{API}/recipes", json=body)
    assert r.status_code == 422, r.text
    assert loc_of(r.json()) == [["body", "parent_id"]]
    assert (
        f"the lineage would be deeper than {MAX_LINEAGE_DEPTH} recipes"
        in r.json()["detail"][0]["msg"]
    )
    r = client.post(f"{API}/recipes/{deepest}/clone", params={"name": "One Too Many"})
    assert r.status_code == 422, r.text
    assert loc_of(r.json()) == [["path", "recipe_id"]]
    # one level up there is room for exactly one more
    assert recipes.create_recipe(reg, {**body, "parent_id": ids[-2]}).parent_id == ids[-2]


def test_re_pinning_a_version_onto_a_deeper_chain_is_a_422_on_parent_version(reg):
    ids = write_chain(reg, MAX_LINEAGE_DEPTH)
    # a 2-recipe lineage whose child is re-pinned... to a parent version holding a full chain
    top = recipes.create_recipe(
        reg,
        {
            "name": "Top",
            "model_family": "pricing",
            "level": "baseline",
            "id": "recipe_top",
            "manifest": manifest(),
        },
    ).id
    child = recipes.create_recipe(
        reg,
        {
            "name": "Kid",
            "model_family": "pricing",
            "level": "baseline",
            "id": "recipe_kid",
            "parent_id": top,
        },
    ).id
    # make recipe_top's version 2.0.0 a child of the deepest chain recipe, by hand
    mf = {"version": "2.0.0", "extends": {"recipe": ids[-1], "version": "1.0.0"}, "manifest": {}}
    reg.path(layout.manifest_file(top)).write_text(yamlio.dump(mf))
    rec = yamlio.load(reg.path(layout.recipe_file(top)).read_bytes()).data
    rec["parent_id"] = ids[-1]
    reg.path(layout.recipe_file(top)).write_text(yamlio.dump(rec))
    commit_all(reg, "recipe_top under the chain")
    with pytest.raises(ValidationFailed) as caught:
        versions.create_version(
            reg,
            child,
            {"manifest_json": manifest(), "change_note": "re-pin", "parent_version": "2.0.0"},
        )
    assert [e.loc for e in caught.value.errors] == [("body", "parent_version")]
    assert "would be deeper than" in caught.value.errors[0].msg


def test_resolving_a_too_deep_chain_is_a_lineage_error_not_recursion(reg, chain_1000):
    with pytest.raises(LineageTooDeep) as caught:
        recipes.resolved_manifest(reg, chain_1000[-1])
    problem = caught.value.problems[0]
    assert problem.path == reg.display(layout.manifest_file(chain_1000[-1]))
    assert problem.field == "extends"
    assert len(caught.value.chain) == MAX_LINEAGE_DEPTH + 1


# -- nesting depth -------------------------------------------------------------------------


def test_yaml_nested_1000_deep_is_refused_with_line_and_column():
    text = (
        "manifest:\n"
        + "".join("  " * (i + 1) + "a:\n" for i in range(999))
        + "  " * 1000
        + "b: 1\n"
    )
    with pytest.raises(yamlio.YamlError) as caught:
        yamlio.load(text)
    assert NESTED in caught.value.message
    # the top mapping is level 1, `manifest`'s 2, ...: the 65th starts on line 65, indented 64 times
    assert (caught.value.line, caught.value.column) == (MAX_NESTING + 1, 2 * MAX_NESTING + 1)
    flow = "x: " + "[" * 1000 + "]" * 1000 + "\n"
    with pytest.raises(yamlio.YamlError) as caught:
        yamlio.load(flow)
    # libyaml reads flow collections ahead and stops at its own bound first; same words, a position
    assert (
        caught.value.line == 1
        and caught.value.column is not None
        and NESTED in caught.value.message
    )
    shallow_flow = "x: " + "[" * 100 + "]" * 100 + "\n"
    with pytest.raises(yamlio.YamlError) as caught:
        yamlio.load(shallow_flow)
    assert (caught.value.line, caught.value.column) == (1, 4 + MAX_NESTING - 1)
    # exactly at the limit is fine
    assert (
        yamlio.load("x: " + "[" * (MAX_NESTING - 1) + "]" * (MAX_NESTING - 1) + "\n").data["x"]
        is not None
    )


def test_a_1000_deep_manifest_file_fails_validate_with_its_line(reg, base_recipe):
    rel = layout.manifest_file(base_recipe)
    data = yamlio.load(reg.path(rel).read_bytes()).data
    data["manifest"]["model"]["hyperparameters"] = "DEEP"
    # written by hand: PyYAML's own writer would recurse 1,000 deep
    text = yamlio.dump(data).replace(
        "hyperparameters: DEEP", "hyperparameters: " + "[" * 1000 + "]" * 1000
    )
    reg.path(rel).write_text(text)
    commit_all(reg, "a deep manifest")
    done = cli(reg, "validate")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "This is a bug" not in done.stderr
    assert reg.display(rel) in done.stdout and NESTED in done.stdout
    assert_clean_failure(
        cli(reg, "recipes", "get", base_recipe, "--manifest"), f"{reg.display(rel)}:", NESTED
    )


def test_a_deep_json_body_is_a_422_never_a_500(client, base_recipe):
    body = {"name": "Deep", "model_family": "pricing", "level": "baseline", "manifest": manifest()}
    body["manifest"]["model"]["hyperparameters"] = nested(200)  # readable JSON, deeper than allowed
    r = client.post(f"{API}/recipes", json=body)
    assert r.status_code == 422, r.text
    assert loc_of(r.json()) == [["body", "manifest"]]
    assert NESTED in r.json()["detail"][0]["msg"]
    # 1,000 deep: beyond what Python's JSON reader takes; the seed's 422 shape on the body
    deep = "[" * 1000 + "]" * 1000
    for path, text in (
        (f"{API}/recipes", '{"name": "x", "manifest": {"a": ' + deep + "}}"),
        (f"{API}/runs", deep),
    ):
        r = client.post(path, content=text, headers={"content-type": "application/json"})
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["loc"] == ["body"]
        assert set(r.json()["detail"][0]) == {"loc", "msg", "type"}
        assert NESTED in r.json()["detail"][0]["msg"]
    # free-form run fields too
    r = client.post(
        f"{API}/runs",
        json={
            "recipe_id": base_recipe,
            "recipe_version_id": "ver_pricing_base_v1.0.0",
            "run_type": "train",
        },
    )
    r = client.put(f"{API}/runs/{r.json()['id']}", json={"artifacts_json": nested(MAX_NESTING)})
    assert r.status_code == 422 and loc_of(r.json()) == [["body", "artifacts_json"]], r.text


def test_nesting_exactly_at_the_limit_is_accepted(reg, run_id):
    # the body (or file) is level 1, so a field holds at most MAX_NESTING - 1 levels
    out = runs.update_run(reg, run_id, {"artifacts_json": nested(MAX_NESTING - 1)})
    assert out.artifacts_json == nested(MAX_NESTING - 1)
    assert cli(reg, "validate").returncode == 0
