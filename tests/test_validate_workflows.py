"""The CI files: workflows and the composite action match GitHub's schemas (the ones the
check-jsonschema package ships, so no network), the pre-commit hook is well formed, every
modelyard command they run exists, and their scripts really run against a registry."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import click
import jsonschema
import pytest

from modelyard.cli.main import cli
from modelyard.storage import yamlio
from validate_fixtures import copy, edit, git, template  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
# commands that other issues are adding; checked in full as soon as they are registered


def load(path: Path) -> Any:
    # modelyard's own loader keeps `on:` a text key (YAML 1.2), as GitHub reads it
    return yamlio.load(path.read_text()).data


def vendored(name: str) -> dict[str, Any]:
    return json.loads(
        (resources.files("check_jsonschema.builtin_schemas.vendor") / name).read_text()
    )


def scripts(doc: dict[str, Any]) -> list[str]:
    if "runs" in doc:
        return [s["run"] for s in doc["runs"].get("steps", []) if "run" in s]
    return [s["run"] for job in doc["jobs"].values() for s in job.get("steps", []) if "run" in s]


def test_the_workflows_exist() -> None:
    assert {p.name for p in WORKFLOWS} >= {"validate.yml", "site.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_workflows_match_githubs_schema(path: Path) -> None:
    errors = [
        e.message
        for e in jsonschema.Draft7Validator(vendored("github-workflows.json")).iter_errors(
            load(path)
        )
    ]
    assert errors == []


def test_the_action_matches_githubs_schema() -> None:
    action = load(ROOT / "action.yml")
    assert (
        list(jsonschema.Draft7Validator(vendored("github-actions.json")).iter_errors(action)) == []
    )
    assert action["runs"]["using"] == "composite"


def test_a_broken_workflow_is_caught_by_the_schema() -> None:
    broken = load(ROOT / ".github" / "workflows" / "validate.yml")
    broken["jobs"]["registry"]["stepz"] = broken["jobs"]["registry"].pop("steps")
    assert list(jsonschema.Draft7Validator(vendored("github-workflows.json")).iter_errors(broken))


def test_the_site_workflow_uses_githubs_pages_actions() -> None:
    site = load(ROOT / ".github" / "workflows" / "site.yml")
    used = [s.get("uses", "").split("@")[0] for job in site["jobs"].values() for s in job["steps"]]
    assert {
        "actions/configure-pages",
        "actions/upload-pages-artifact",
        "actions/deploy-pages",
    } <= set(used)
    assert site["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}


def test_the_pre_commit_hook() -> None:
    [hook] = load(ROOT / ".pre-commit-hooks.yaml")
    assert {"id", "name", "entry", "language"} <= set(hook)
    assert hook["entry"] == "modelyard validate --upstream" and hook["pass_filenames"] is True


def _set_args(words: list[str]) -> list[str]:
    """The words of `set -- a b c;` inside a shell line."""
    for i in range(len(words) - 1):
        if words[i] == "set" and words[i + 1] == "--":
            out = []
            for word in words[i + 2 :]:
                if word == "$@":
                    continue
                out.append(word.rstrip(";"))
                if word.endswith(";"):
                    break
            return out
    return []


def invocations() -> list[tuple[str, list[str]]]:
    found = []
    sources = [*WORKFLOWS, ROOT / "action.yml"]
    for path in sources:
        for script in scripts(load(path)):
            lines = [shlex.split(line, comments=True) for line in script.splitlines()]
            # arguments gathered with `set -- ...` and passed on as "$@"
            gathered = [w for words in lines for w in _set_args(words)]
            for words in lines:
                if "modelyard" in words:
                    args = words[words.index("modelyard") + 1 :]
                    found.append(
                        (path.name, [w for a in args for w in (gathered if a == "$@" else [a])])
                    )
    hook = load(ROOT / ".pre-commit-hooks.yaml")[0]
    found.append((".pre-commit-hooks.yaml", hook["entry"].split()[1:]))
    return found


def test_every_file_runs_modelyard() -> None:
    assert {name for name, _ in invocations()} == {
        "validate.yml",
        "site.yml",
        "action.yml",
        ".pre-commit-hooks.yaml",
    }


@pytest.mark.parametrize(
    ("source", "words"), invocations(), ids=[f"{n}:{' '.join(w)}" for n, w in invocations()]
)
def test_the_commands_they_run_exist(source: str, words: list[str]) -> None:
    command: click.Command = cli
    ctx = click.Context(cli)
    options = {o for p in cli.params for o in p.opts}
    for word in words:
        if word.startswith("-"):
            assert word in options, f"{source}: {word} is not an option of {command.name}"
        elif word.startswith("$") or not word.isidentifier():
            continue  # a value
        elif isinstance(command, click.Group):
            sub = command.get_command(ctx, word)
            assert sub is not None, f"{source}: `{word}` is not a command of {command.name}"
            command = sub
            options |= {o for p in sub.params for o in p.opts}
    assert not isinstance(command, click.Group), f"{source}: {' '.join(words)} names no command"


def _shim(tmp_path: Path) -> dict[str, str]:
    """An environment where `modelyard` runs this checkout, as `pip install .` would make it."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "modelyard"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m modelyard "$@"\n')
    shim.chmod(0o755)
    return {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT / "src"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }


def _step(doc: dict[str, Any], name: str) -> str:
    steps = (
        doc["runs"]["steps"]
        if "runs" in doc
        else [s for j in doc["jobs"].values() for s in j["steps"]]
    )
    return next(s["run"] for s in steps if s.get("name") == name)


@pytest.mark.parametrize(
    ("source", "step", "env"),
    [
        (".github/workflows/validate.yml", "Validate the registry", {"BASE_REF": "main"}),
        (
            "action.yml",
            "Validate",
            {"BASE": "", "BASE_REF": "main", "REGISTRY": "", "STRICT": "false"},
        ),
    ],
)
def test_the_validate_steps_run_as_written(
    copy,  # noqa: F811
    tmp_path: Path,
    source: str,
    step: str,
    env: dict[str, str],
) -> None:
    reg, _ = copy
    git(
        reg.worktree, "update-ref", "refs/remotes/origin/main", "HEAD"
    )  # as actions/checkout leaves it
    git(reg.worktree, "switch", "-q", "-c", "change")
    edit(
        reg,
        "recipes/recipe_pricing_base/manifest.yaml",
        "learning_rate: 0.03",
        "learning_rate: 0.04",
    )
    git(reg.worktree, "commit", "-qam", "Tune without a new version")
    script = _step(load(ROOT / source), step)
    done = subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=reg.worktree,
        env={**_shim(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "::error file=registry/recipes/recipe_pricing_base/manifest.yaml,line=2" in done.stdout
    assert "version-not-bumped" in (tmp_path / "summary.md").read_text()


def test_the_action_keeps_the_index_where_storage_keeps_it(tmp_path: Path) -> None:
    from modelyard.ops import setup
    from modelyard.storage.cache import cache_file

    reg = setup.init_registry(tmp_path / "repo")
    where = cache_file(reg.git).parent.relative_to(reg.git.worktree).as_posix()
    steps = [s for s in load(ROOT / "action.yml")["runs"]["steps"] if "uses" in s]
    kept = [s for s in steps if s["uses"].startswith("actions/cache@")]
    assert [s["with"]["path"] for s in kept] == [where]
    assert kept[0]["if"] == "${{ inputs.keep-index == 'true' }}"
