"""The CLI forgives and guides: did-you-mean for commands at every level and for unknown ids,
a recipe's versions named when one is not found, usage errors as one line with exit 2,
`--json` errors as the HTTP API's error body on stdout, a busy port refused in one line,
completion of run ids and versions, and examples in every command's help that parse."""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from clihelp import Cli
from modelyard.cli.examples import EXAMPLES
from modelyard.cli.main import cli
from modelyard.cli.reference import _context, walk
from modelyard.ops import models, runs
from modelyard.server.app import create_app

SRC = Path(__file__).resolve().parents[1] / "src"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["recipe"],
            "Error: No such command 'recipe'. Did you mean 'recipes'? (see 'modelyard --help')",
        ),
        (
            ["valdate"],
            "Error: No such command 'valdate'. Did you mean 'validate'? (see 'modelyard --help')",
        ),
        (
            ["versions", "lst", "x"],
            "Error: No such command 'lst'. Did you mean 'list'? (see 'modelyard versions --help')",
        ),
        (
            ["site", "buid"],
            "Error: No such command 'buid'. Did you mean 'build'? (see 'modelyard site --help')",
        ),
        (
            ["recipes", "list", "--limt", "3"],
            "Error: No such option '--limt'. Did you mean '--limit'? "
            "(see 'modelyard recipes list --help')",
        ),
        (
            ["recipes", "clone", "recipe_x"],
            "Error: Missing option '--name'. (see 'modelyard recipes clone --help')",
        ),
    ],
    ids=["top", "top-2", "versions", "site", "option", "required-option"],
)
def test_usage_errors_are_one_line_with_a_suggestion_and_exit_2(args: list[str], line: str) -> None:
    code, out, err = run(*args)
    assert (code, out, err) == (2, "", line + "\n")


def test_no_command_still_shows_the_help() -> None:
    code, _, err = run("recipes")
    assert code == 2 and err.startswith("Usage: modelyard recipes [OPTIONS] COMMAND")


def test_a_missing_required_field_is_a_usage_error(reg) -> None:
    err = Cli(reg.root).error("models", "register", "--name", "M", "--owner", "t", code=2)
    assert err == (
        "Error: Missing option '--recipe-id', '--recipe-version-id'. "
        "(see 'modelyard models register --help')\n"
    )


def test_unknown_ids_get_the_closest_that_exist(reg, base_recipe: str) -> None:
    cli = Cli(reg.root)
    model = models.register_model(
        reg,
        {
            "name": "Retail Pricing",
            "recipe_id": base_recipe,
            "recipe_version_id": "1.0.0",
            "owner": "t",
        },
    )
    made = runs.create_run(
        reg, {"recipe_id": base_recipe, "recipe_version_id": "1.0.0", "run_type": "train"}
    )
    typo = base_recipe[:-2] + base_recipe[-1]
    assert cli.error("recipes", "get", typo) == (
        f"Error: Recipe not found: {typo}; did you mean {base_recipe!r}?\n"
    )
    assert cli.error("models", "get", model.id[:-3]) == (
        f"Error: Model not found: {model.id[:-3]}; did you mean {model.id!r}?\n"
    )
    assert cli.error("runs", "get", made.id[:10]) == (
        f"Error: Run not found: {made.id[:10]}; did you mean {made.id!r}?\n"
    )
    # an id that is not even valid gets its suggestion too; nothing close gets none
    assert "did you mean" in cli.error("recipes", "get", base_recipe.replace("_", "-"))
    assert cli.error("recipes", "get", "zzz") == "Error: Recipe not found: zzz\n"
    assert cli.error("versions", "get", base_recipe, "9.9.9") == (
        f"Error: Recipe version not found: 9.9.9; {base_recipe} has 1.0.0\n"
    )


def test_json_errors_print_the_apis_error_body(reg, base_recipe: str) -> None:
    cli = Cli(reg.root)
    body = {"name": "X", "model_family": "pricing", "level": "nope"}
    with TestClient(create_app(reg)) as client:
        missing = client.get("/api/ml-development/recipes/recipe_nope")
        invalid = client.post("/api/ml-development/recipes", json=body)
    assert missing.status_code == 404 and invalid.status_code == 422
    result = cli("recipes", "get", "recipe_nope", "--json", code=1)
    assert json.loads(result.stdout) == missing.json() == {"detail": "Recipe not found"}
    assert result.stderr == "Error: Recipe not found: recipe_nope\n"
    result = cli("recipes", "create", "--body", "-", "--json", input=json.dumps(body), code=1)
    assert json.loads(result.stdout) == invalid.json()
    assert result.stderr.startswith("Error: invalid request\n  body.level:")
    # without --json, stdout stays empty
    assert cli("recipes", "get", "recipe_nope", code=1).stdout == ""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(SRC)}


def test_serve_on_a_busy_port_is_one_line_and_exit_1(reg) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "modelyard",
                "--registry",
                str(reg.root),
                "serve",
                "--port",
                str(port),
            ],
            capture_output=True,
            text=True,
            env=_env(),
            timeout=60,
        )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        f"Error: 127.0.0.1:{port} is in use by another program; "
        f"choose another port: modelyard serve --port {port + 1}\n"
    )


def _complete(reg_root: Path, words: str) -> list[str]:
    env = {
        **_env(),
        "_MODELYARD_COMPLETE": "bash_complete",
        "COMP_WORDS": f"modelyard --registry {reg_root} {words}",
        "COMP_CWORD": str(len(words.split(" ")) + 2),
    }
    done = subprocess.run(
        [sys.executable, "-m", "modelyard"], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return [line.split(",", 1)[1] for line in done.stdout.splitlines()]


def test_completion_offers_versions_and_run_ids(reg, base_recipe: str) -> None:
    from modelyard.ops import versions

    versions.create_version(
        reg,
        base_recipe,
        {"manifest_json": {**_manifest(reg, base_recipe), "description": "v2"}, "change_note": "d"},
    )
    made = runs.create_run(
        reg, {"recipe_id": base_recipe, "recipe_version_id": "1.0.0", "run_type": "train"}
    )
    assert _complete(reg.root, f"versions get {base_recipe} ") == ["1.1.0", "1.0.0"]  # newest first
    assert _complete(reg.root, f"versions get {base_recipe} 1.1") == ["1.1.0"]
    assert _complete(reg.root, "runs get run_") == [made.id]
    assert _complete(reg.root, "runs update ") == [made.id]


def _manifest(reg, recipe_id: str) -> dict:
    from modelyard.ops import recipes

    return recipes.resolved_manifest(reg, recipe_id)[0]


LEAVES = [
    c for c in walk(cli, _context(cli, "modelyard", None)) if not isinstance(c.command, click.Group)
]


@pytest.mark.parametrize("ctx", LEAVES, ids=[c.command_path for c in LEAVES])
def test_every_command_has_examples_that_parse(ctx: click.Context) -> None:
    help_text = ctx.command.get_help(ctx)
    assert "\n  Examples:\n" in help_text, f"{ctx.command_path} has no examples"
    examples = [
        line.strip().split("  # ")[0]
        for line in help_text.split("\n  Examples:\n", 1)[1].splitlines()
        if line.strip().startswith("modelyard ")
    ]
    assert examples
    for example in examples:
        words = shlex.split(example.split(" && ")[0])[1:]
        command: click.Command = cli
        parent = click.Context(cli, info_name="modelyard")
        while isinstance(command, click.Group):
            name, *words = words
            sub = command.get_command(parent, name)
            assert sub is not None, example
            command, parent = sub, click.Context(sub, info_name=name, parent=parent)
        assert f"modelyard {parent.command_path.split(' ', 1)[1]}" == ctx.command_path, example
        command.make_context(command.name or "", list(words), parent=parent.parent)  # parses


def test_the_examples_table_names_only_real_commands() -> None:
    paths = {c.command_path.removeprefix("modelyard ") for c in LEAVES}
    assert set(EXAMPLES) <= paths


def test_site_serve_on_a_busy_port_is_one_line_and_exit_1(reg, tmp_path: Path) -> None:
    out = tmp_path / "site"
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = Cli(reg.root)("site", "serve", "--out", str(out), "--port", str(port), code=1)
    assert result.stderr == (
        f"Error: 127.0.0.1:{port} is in use by another program; "
        f"choose another port: modelyard site serve --port {port + 1}\n"
    )


# every command that makes a commit, and only those, can push it (docs/team.md)
COMMITTING = {
    "recipes create", "recipes update", "recipes delete", "recipes clone", "recipes rebase",
    "versions create", "models register", "models update", "models rollback", "runs create",
    "runs update", "monitoring create", "monitoring compute", "synthetic create",
    "synthetic generate",
}  # fmt: skip


def test_every_committing_command_takes_push() -> None:
    pushing = {
        c.command_path.removeprefix("modelyard ")
        for c in LEAVES
        if any("--push" in p.opts for p in c.command.params)
    }
    assert pushing == COMMITTING
