"""What a command loads at start-up, and the CLI's enum choices, which come from the domain."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from enum import StrEnum
from pathlib import Path

import click
import pytest

from modelyard.cli.main import cli
from modelyard.cli.reference import _context, walk
from modelyard.domain import enums
from modelyard.ops import recipes
from modelyard.storage.registry import Registry

ROOT = Path(__file__).resolve().parents[1]
CONTEXTS = walk(cli, _context(cli, "modelyard", None))

# option name -> its enum; `--status` depends on the group it is in
BY_OPTION: dict[str, type[StrEnum]] = {
    "model_family": enums.ModelFamily,
    "level": enums.RecipeLevel,
    "run_type": enums.RunType,
}
STATUS_BY_GROUP: dict[str, type[StrEnum]] = {
    "recipes": enums.RecipeStatus,
    "models": enums.ModelStatus,
    "runs": enums.RunStatus,
}


def _enum_choices() -> list[tuple[str, click.Option, type[StrEnum]]]:
    found = []
    for ctx in CONTEXTS:
        group = ctx.command_path.split()[1] if len(ctx.command_path.split()) > 1 else ""
        for param in ctx.command.params:
            if not isinstance(param, click.Option) or not isinstance(param.type, click.Choice):
                continue
            enum = STATUS_BY_GROUP.get(group) if param.name == "status" else None
            enum = enum or BY_OPTION.get(param.name or "")
            if enum is not None:
                found.append((f"{ctx.command_path} {param.opts[0]}", param, enum))
    return found


ENUM_CHOICES = _enum_choices()


def test_every_enum_option_is_found():
    # recipes list/create/update/clone, models list/register/update, runs list/create/update
    assert len(ENUM_CHOICES) >= 14, [name for name, _, _ in ENUM_CHOICES]


@pytest.mark.parametrize("name,param,enum", ENUM_CHOICES, ids=[n for n, _, _ in ENUM_CHOICES])
def test_enum_choices_are_the_domains_values_in_order(name, param, enum):
    assert isinstance(param.type, click.Choice)
    assert list(param.type.choices) == [member.value for member in enum], name


def _loaded(argv: list[str], cwd: Path) -> list[str]:
    """The modules of interest that a whole `modelyard` process has loaded when it ends."""
    code = (
        "import atexit, json, sys\n"
        "WATCH = ('pydantic', 'yaml', 'jinja2', 'deepdiff', 'fastapi', 'starlette', 'httpx',\n"
        "         'rank_bm25', 'uvicorn', 'modelyard.domain.records', "
        "'modelyard.domain.requests',\n"
        "         'modelyard.domain.manifest', 'modelyard.chat', 'modelyard.server',\n"
        "         'modelyard.site', 'modelyard.validate', 'difflib', 'pygit2')\n"
        "atexit.register(lambda: print('LOADED', json.dumps(\n"
        "    [m for m in WATCH if m in sys.modules]), file=sys.stderr))\n"
        f"sys.argv = ['modelyard', *{argv!r}]\n"
        "from modelyard.cli.main import main\n"
        "main()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr
    line = next(x for x in proc.stderr.splitlines() if x.startswith("LOADED "))
    loaded: list[str] = json.loads(line.removeprefix("LOADED "))
    return loaded


@pytest.mark.parametrize(
    "argv", [["recipes", "--help"], ["runs", "create", "--help"], ["models", "list", "--help"]]
)
def test_a_commands_help_loads_no_pydantic(argv, tmp_path):
    assert _loaded(argv, tmp_path) == []


def test_a_listing_loads_only_the_records_it_shows(reg: Registry, base_recipe: str):
    for argv in (["recipes", "list"], ["runs", "list"], ["versions", "list", base_recipe]):
        loaded = _loaded(["--registry", str(reg.root), *argv], reg.root)
        assert "modelyard.domain.records" in loaded, argv  # it did read records
        heavy = set(loaded) - {"pydantic", "yaml", "modelyard.domain.records"}
        assert heavy == set(), argv


def test_a_write_loads_its_request_body_but_no_front_end(reg: Registry, base_recipe: str):
    version = recipes.get_recipe(reg, base_recipe).version_id
    assert version
    argv = ["runs", "create", "--recipe-id", base_recipe, "--recipe-version-id", version]
    loaded = _loaded(["--registry", str(reg.root), *argv, "--run-type", "eval"], reg.root)
    assert "modelyard.domain.requests" in loaded
    # the manifest's model is only for recipes and versions; nothing of the front ends
    assert set(loaded) == {
        "pydantic",
        "yaml",
        "modelyard.domain.records",
        "modelyard.domain.requests",
    }
