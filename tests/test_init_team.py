"""`modelyard init` writes what a team needs beside its registry, and what it writes works:
the CI workflow's steps run as written in a real repository (an unbumped change fails with an
inline annotation, the fix passes, a push builds the catalog), and the pre-commit hook, run by
the real `pre-commit`, stops an unbumped commit and lets the bumped one through."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from modelyard.cli.main import cli
from modelyard.ops import scaffold
from modelyard.storage import yamlio
from test_validate_workflows import _shim, vendored

ROOT = Path(__file__).resolve().parents[1]
TEAM = [".github/workflows/modelyard.yml", ".pre-commit-config.yaml", ".github/CODEOWNERS"]


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def init(*args: str, code: int = 0) -> Any:
    result = CliRunner().invoke(cli, ["init", *args])
    assert result.exit_code == code, result.stdout + result.stderr
    return result


def load(path: Path) -> Any:
    return yamlio.load(path.read_text(encoding="utf-8")).data


def steps(doc: dict[str, Any]) -> dict[str, str]:
    return {s["name"]: s["run"] for j in doc["jobs"].values() for s in j["steps"] if "run" in s}


def test_init_writes_the_team_files_in_its_one_commit(tmp_path: Path) -> None:
    target = tmp_path / "team"
    out = init(str(target), "--example").stdout
    for rel in [*TEAM, "README.md", "examples/pricing.yaml"]:
        assert (target / rel).is_file(), rel
        assert f"wrote {rel}" in out
    assert git(target, "log", "--format=%s") == "Start modelyard registry 'team registry'"
    assert git(target, "status", "--porcelain") == ""
    assert git(target, "branch", "--show-current") == "main"
    readme = (target / "README.md").read_text()
    assert readme.startswith("# team registry\n") and "registry/" in readme
    owners = (target / ".github" / "CODEOWNERS").read_text()
    assert "/registry/models/*/model.yaml" in owners and "/registry/recipes/" in owners
    assert "@@" not in "".join((target / rel).read_text() for rel in TEAM)


def test_each_file_has_a_flag_and_an_existing_file_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "existing"
    target.mkdir()
    git(target, "init", "-q", "-b", "trunk")
    (target / "README.md").write_text("ours\n")
    git(target, "add", "README.md")
    git(target, "commit", "-qm", "Our readme")
    out = init(str(target), "--no-pre-commit", "--no-codeowners").stdout
    assert "kept README.md (it exists already)" in out
    assert (target / "README.md").read_text() == "ours\n"
    assert not (target / ".pre-commit-config.yaml").exists()
    assert not (target / ".github" / "CODEOWNERS").exists()
    assert not (target / "examples").exists()
    workflow = load(target / ".github" / "workflows" / "modelyard.yml")
    assert workflow["on"]["push"]["branches"] == ["trunk"]  # the repository's own branch
    # again: the registry is there, so only the files it lacks are added, in their own commit
    init(str(target), "--no-ci", "--no-readme")
    assert git(target, "log", "-1", "--format=%s") == "Add modelyard's team files"
    assert (target / ".pre-commit-config.yaml").is_file()
    # and when nothing is missing, it says the registry exists
    again = init(str(target), code=1)
    assert "already has a registry" in again.stderr
    bare = tmp_path / "bare"
    init(str(bare), "--no-ci", "--no-pre-commit", "--no-codeowners", "--no-readme")
    assert sorted(p.name for p in bare.iterdir()) == [".git", "registry"]


@pytest.mark.parametrize("sarif", [False, True], ids=["plain", "sarif"])
def test_the_workflow_matches_githubs_schema(sarif: bool) -> None:
    text = scaffold.render("ci", scaffold.Options("r", "registry", "main", sarif))
    doc = yamlio.load(text).data
    validator = jsonschema.Draft7Validator(vendored("github-workflows.json"))
    assert [e.message for e in validator.iter_errors(doc)] == []
    job = doc["jobs"]["validate"]
    assert job["steps"][0]["with"]["fetch-depth"] == 0
    uses = [s.get("uses", "").split("@")[0] for j in doc["jobs"].values() for s in j["steps"]]
    assert ("github/codeql-action/upload-sarif" in uses) is sarif
    assert ("permissions" in job) is sarif
    assert {"actions/upload-pages-artifact", "actions/deploy-pages"} <= set(uses)
    assert doc["jobs"]["catalog"]["if"] == "github.event_name != 'pull_request'"


def _team_repo(tmp_path: Path) -> Path:
    """A registry made by `modelyard init --example` with the example recipe, pushed to a
    bare `origin`, and a branch `tune` checked out."""
    repo = tmp_path / "team"
    init(str(repo), "--example")
    made = CliRunner().invoke(
        cli,
        [
            "--registry",
            str(repo),
            "recipes",
            "create",
            "--name",
            "Pricing Baseline",
            "--model-family",
            "pricing",
            "--level",
            "baseline",
            "--manifest",
            str(repo / "examples" / "pricing.yaml"),
        ],
    )
    assert made.exit_code == 0, made.stderr
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    git(repo, "remote", "add", "origin", str(origin))
    git(repo, "push", "-q", "-u", "origin", "main")
    git(repo, "switch", "-q", "-c", "tune")
    return repo


def _unbumped_edit(repo: Path) -> None:
    manifest = repo / "registry" / "recipes" / "recipe_pricing_baseline" / "manifest.yaml"
    manifest.write_text(manifest.read_text().replace("num_leaves: 31", "num_leaves: 40"))


@pytest.mark.slow
def test_the_written_workflow_runs_as_written(tmp_path: Path) -> None:
    env = _shim(tmp_path)
    repo = _team_repo(tmp_path)
    workflow = load(repo / ".github" / "workflows" / "modelyard.yml")
    env = {**env, **workflow["env"]}
    script = steps(workflow)
    _unbumped_edit(repo)
    git(repo, "commit", "-qam", "More leaves, no new version")
    summary = tmp_path / "summary.md"

    def step(name: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-e", "-c", script[name]],
            cwd=repo,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=120,
        )

    failed = step("Validate", BASE_REF="main")  # a pull request into main
    assert failed.returncode == 1, failed.stderr
    assert (
        "::error file=registry/recipes/recipe_pricing_baseline/manifest.yaml,line=2"
        in failed.stdout
    )
    assert "version-not-bumped" in summary.read_text()
    # the fix: the same change made as a new version
    git(repo, "reset", "-q", "--hard", "origin/main")
    summary.unlink()
    bumped = CliRunner().invoke(
        cli,
        [
            "--registry",
            str(repo),
            "versions",
            "create",
            "recipe_pricing_baseline",
            "--set",
            "model.hyperparameters.num_leaves=40",
            "--change-note",
            "More leaves",
        ],
    )
    assert bumped.exit_code == 0, bumped.stderr
    passed = step("Validate", BASE_REF="main")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "1.0.0 → 1.0.1" in summary.read_text(), summary.read_text()
    # merged: a push validates the whole registry and builds the catalog
    git(repo, "switch", "-q", "main")
    git(repo, "merge", "-q", "--ff-only", "tune")
    assert step("Validate", BASE_REF="").returncode == 0
    built = step("Build the catalog", BASE_URL="/team/")
    assert built.returncode == 0, built.stderr
    index = (repo / "_site" / "model-development" / "index.html").read_text()
    assert "/team/model-development/" in index


def _pre_commit(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_the_pre_commit_hooks_stop_an_unbumped_commit(tmp_path: Path) -> None:
    env = {**_shim(tmp_path), "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    repo = _team_repo(tmp_path)
    _unbumped_edit(repo)
    git(repo, "add", "-A")
    # the project's published hook (.pre-commit-hooks.yaml), run with the modelyard on PATH
    # instead of an environment of its own, against the staged edit
    [hook] = load(ROOT / ".pre-commit-hooks.yaml")
    local = {**hook, "language": "system"}
    local.pop("minimum_pre_commit_version")
    published = tmp_path / "published-hook.yaml"
    published.write_text(yamlio.dump({"repos": [{"repo": "local", "hooks": [local]}]}))
    manifest = repo / "registry" / "recipes" / "recipe_pricing_baseline" / "manifest.yaml"
    result = _pre_commit(
        repo, env, "run", "--config", str(published), "--files", str(manifest.relative_to(repo))
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "version-not-bumped" in result.stdout
    # the configuration `init` wrote, installed as the git hook: the commit is refused
    installed = _pre_commit(repo, env, "install")
    assert installed.returncode == 0, installed.stderr
    refused = subprocess.run(
        ["git", "commit", "-qm", "More leaves, no new version"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 1
    assert "version-not-bumped" in refused.stdout + refused.stderr
    assert git(repo, "log", "-1", "--format=%s").startswith("Create recipe")
    # bumped by hand, as the message says: the commit goes through
    manifest.write_text(manifest.read_text().replace("version: 1.0.0", "version: 1.0.1"))
    done = subprocess.run(
        ["git", "commit", "-qam", "More leaves"], cwd=repo, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert git(repo, "log", "-1", "--format=%s") == "More leaves"
