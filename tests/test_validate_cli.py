"""`modelyard validate` and `modelyard schema export` as processes: exit codes, the three
formats (GitHub's workflow commands parsed back), the Markdown summary, pre-commit style paths."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from modelyard.storage.registry import Registry
from validate_fixtures import SRC, cli, copy, edit, git, template  # noqa: F401  (fixtures)

MODEL = "models/model_forecast/model.yaml"
BASE_MF = "recipes/recipe_pricing_base/manifest.yaml"


def test_a_clean_registry_exits_0(copy) -> None:  # noqa: F811
    reg, _ = copy
    done = cli(reg.worktree, "validate")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok: 0 errors, 0 warnings in 14 files checked"


def test_errors_exit_1_and_are_grouped_by_file(copy) -> None:  # noqa: F811
    reg, _ = copy
    edit(reg, MODEL, "owner: planning", "owner: no")
    edit(reg, MODEL, "status: draft", "stauts: draft")
    done = cli(reg.worktree, "validate")
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0] == f"registry/{MODEL}"
    assert "error [yaml]" in lines[1] and "8:8" in lines[1]
    assert lines[-1] == "failed: 1 error, 0 warnings in 14 files checked"


def test_warnings_pass_unless_strict(copy) -> None:  # noqa: F811
    reg, _ = copy
    reg.path("recipes/recipe_pricing_base/notes.yaml").write_text("a: 1\n")
    assert cli(reg.worktree, "validate").returncode == 0
    strict = cli(reg.worktree, "validate", "--strict")
    assert strict.returncode == 1
    assert "warning [unknown-file]" in strict.stdout


def test_usage_errors_exit_2(copy) -> None:  # noqa: F811
    reg, _ = copy
    assert cli(reg.worktree, "validate", "--format", "xml").returncode == 2
    bad_base = cli(reg.worktree, "validate", "--base", "origin/nope")
    assert bad_base.returncode == 2
    assert "--base 'origin/nope' is not a commit" in bad_base.stderr


def _parse_github(output: str) -> list[dict[str, str]]:
    """Workflow commands back into fields, undoing GitHub's escaping."""

    def unescape(text: str) -> str:
        for code, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
            text = text.replace(code, char)
        return text

    out = []
    for line in output.splitlines():
        m = re.fullmatch(r"::(error|warning|notice) ([^:]*)::(.*)", line)
        assert m, f"not a workflow command: {line!r}"
        props = dict(p.split("=", 1) for p in m.group(2).split(","))
        out.append(
            {
                "command": m.group(1),
                "message": unescape(m.group(3)),
                **{k: unescape(v) for k, v in props.items()},
            }
        )
    return out


def test_github_annotations_carry_every_problem(copy) -> None:  # noqa: F811
    reg, _ = copy
    edit(reg, MODEL, "owner: planning", "owner: no")
    # titles hold a colon and messages commas, which the command syntax escapes
    edit(reg, BASE_MF, "learning_rate: 0.03", "learning_rate: 0.03\n    max_depth: 4")
    edit(reg, "recipes/recipe_demand_forecast/manifest.yaml", "horizon: 28", "horizon: 0")
    reg.path("recipes/recipe_pricing_base/notes.yaml").write_text("a: 1\n")
    as_json = json.loads(cli(reg.worktree, "validate", "--format", "json", "--base", "HEAD").stdout)
    done = cli(reg.worktree, "validate", "--format", "github", "--base", "HEAD")
    assert done.returncode == 1
    commands = _parse_github(done.stdout)
    annotations, notice = commands[:-1], commands[-1]
    assert notice["command"] == "notice"
    assert notice["message"].startswith(
        f"failed: {as_json['errors']} errors, {as_json['warnings']} warning"
    )
    expected = [
        (
            p["severity"],
            p["file"],
            str(p["line"]),
            str(p["column"]),
            f"modelyard validate: {p['code']}",
            f"{p['field']}: {p['message']}" if p["field"] else p["message"],
        )
        for p in as_json["problems"]
    ]
    got = [
        (
            a["command"],
            a["file"],
            a.get("line", "None"),
            a.get("col", "None"),
            a["title"],
            a["message"],
        )
        for a in annotations
    ]
    # the same problems, errors annotated first (reporters.importance)
    assert sorted(got) == sorted(expected)
    kinds = [a["command"] for a in annotations]
    assert kinds == sorted(kinds)  # "error" < "warning"
    assert {a["command"] for a in annotations} == {"error", "warning"}
    assert any("Input should be greater than 0" in a["message"] for a in annotations)


def test_json_report_format(copy) -> None:  # noqa: F811
    reg, _ = copy
    edit(reg, MODEL, "status: draft", "status: staged")
    report = json.loads(cli(reg.worktree, "validate", "--format", "json").stdout)
    assert set(report) == {
        "format",
        "ok",
        "errors",
        "warnings",
        "checked_files",
        "base",
        "changed_files",
        "problems",
        "recipe_changes",
        "descendant_impacts",
        "gate_impacts",
    }
    assert report["format"] == 1 and report["ok"] is False and report["errors"] == 1
    [problem] = report["problems"]
    assert problem == {
        "severity": "error",
        "code": "schema",
        "file": f"registry/{MODEL}",
        "line": 7,
        "column": 1,
        "field": "status",
        "message": problem["message"],
    }
    assert "'draft', 'staging', 'production' or 'retired'" in problem["message"]


def test_summary_file_is_markdown(copy, tmp_path: Path) -> None:  # noqa: F811
    reg, _ = copy
    edit(reg, BASE_MF, "learning_rate: 0.03", "learning_rate: 0.04")
    summary = tmp_path / "summary.md"
    done = cli(reg.worktree, "validate", "--base", "HEAD", "--summary", str(summary))
    assert done.returncode == 1
    text = summary.read_text()
    assert text.startswith("## ❌ modelyard validate")
    assert "| `recipe_pricing_base` | changed | 1.0.1 → 1.0.1 | - | patch |" in text
    assert "(`version-not-bumped`)" in text


def test_paths_narrow_the_check_like_pre_commit(copy) -> None:  # noqa: F811
    reg, _ = copy
    edit(reg, "recipes/recipe_demand_forecast/recipe.yaml", "status: draft", "stauts: draft")
    (reg.worktree / "README.md").write_text("hello\n")
    # pre-commit passes every changed file of the repository, relative to its top
    done = cli(reg.worktree, "validate", "--format", "json", "README.md", f"registry/{MODEL}")
    report = json.loads(done.stdout)
    assert done.returncode == 0, report
    assert report["checked_files"] == 2  # the model and the run that depends on it
    flagged = cli(reg.worktree, "validate", "registry/recipes/recipe_demand_forecast")
    assert flagged.returncode == 1
    assert "unknown field 'stauts'" in flagged.stdout


def test_a_shallow_clone_gets_a_clear_message(copy, tmp_path: Path) -> None:  # noqa: F811
    reg, _ = copy
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{reg.worktree}", str(clone))
    done = cli(clone, "validate")
    assert done.returncode == 1
    assert "shallow clone" in done.stderr and "fetch-depth: 0" in done.stderr
    assert "Traceback" not in done.stderr


def test_schema_export_writes_valid_schemas(tmp_path: Path, reg: Registry) -> None:
    done = cli(tmp_path, "schema", "export", str(tmp_path / "schemas"))
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in (tmp_path / "schemas").iterdir())
    assert names == [
        "manifest.json",
        "model.json",
        "recipe.json",
        "run.json",
        "settings.json",
        "snapshot.json",
        "synthetic-example.json",
    ]
    for name in names:
        schema = json.loads((tmp_path / "schemas" / name).read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        # init keeps the same files where the files' `$schema` lines point
        assert (reg.root / ".schema" / name).read_text() == (
            tmp_path / "schemas" / name
        ).read_text()


@pytest.mark.parametrize("command", ["validate", "schema"])
def test_commands_are_listed_in_help(command: str, tmp_path: Path) -> None:
    done = cli(tmp_path, "--help")
    assert re.search(rf"^\s+{command}\s+\S", done.stdout, re.M)


def test_outside_git_versions_are_not_guessed(copy, tmp_path: Path) -> None:  # noqa: F811
    reg, _ = copy
    plain = tmp_path / "plain"
    shutil.copytree(reg.root, plain / "registry")
    done = cli(plain, "validate", "--format", "json")
    report = json.loads(done.stdout)
    assert done.returncode == 0
    assert [(p["code"], p["severity"]) for p in report["problems"]] == [("no-history", "warning")]
    base = cli(plain, "validate", "--base", "main")
    assert base.returncode == 2 and "--base needs a git repository" in base.stderr


def test_text_is_coloured_on_a_terminal_only(copy) -> None:  # noqa: F811
    reg, _ = copy
    edit(reg, MODEL, "owner: planning", "owner: no")
    command = f"{shlex.quote(sys.executable)} -m modelyard validate"
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    # `script` runs the command on a pseudo-terminal, as a person's shell would
    on_tty = subprocess.run(
        ["script", "-qec", command, "/dev/null"],
        cwd=reg.worktree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "\x1b[31merror\x1b[0m" in on_tty.stdout
    piped = cli(reg.worktree, "validate")
    assert "\x1b[" not in piped.stdout and "error [yaml]" in piped.stdout
