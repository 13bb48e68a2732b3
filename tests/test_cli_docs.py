"""Every command has help text and documentation; the CLI reference is current."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from modelyard.cli.main import cli
from modelyard.cli.reference import _context, render_reference, walk

ROOT = Path(__file__).resolve().parents[1]
CONTEXTS = walk(cli, _context(cli, "modelyard", None))


def test_cli_reference_is_current():
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == render_reference(), (
        "docs/cli.md is out of date: run `python -m modelyard.cli.reference > docs/cli.md`"
    )


@pytest.mark.parametrize("ctx", CONTEXTS, ids=[c.command_path for c in CONTEXTS])
def test_every_command_and_option_has_help(ctx):
    command = ctx.command
    assert command.help, f"{ctx.command_path} has no help text"
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{ctx.command_path} {param.opts[0]} has no help text"
    result = CliRunner().invoke(cli, [*ctx.command_path.split()[1:], "--help"])
    assert result.exit_code == 0 and "Usage:" in result.stdout


def test_help_imports_only_click():
    import subprocess
    import sys

    code = (
        "import sys; from modelyard.cli.main import main; sys.argv=['modelyard','--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('pydantic','yaml','jinja2','deepdiff','fastapi','git') "
        "if m in sys.modules]\n"
        "print('HEAVY', heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
    ).stdout
    assert "HEAVY []" in out


def test_an_unexpected_error_says_it_is_a_bug(reg, monkeypatch):
    from modelyard.ops import recipes

    def boom(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(recipes, "list_recipes", boom)
    result = CliRunner().invoke(cli, ["--registry", str(reg.root), "recipes", "list"])
    assert result.exit_code == 1
    assert result.stderr == (
        "Unexpected error: ZeroDivisionError: division by zero\n"
        "This is a bug in modelyard. Rerun with --traceback to see where it happened.\n"
    )
    result = CliRunner().invoke(
        cli, ["--registry", str(reg.root), "--traceback", "recipes", "list"]
    )
    assert isinstance(result.exception, ZeroDivisionError)


def test_a_folder_that_cannot_be_written_is_a_clear_error_not_a_bug(reg, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = CliRunner().invoke(
        cli, ["--registry", str(reg.root), "schema", "export", str(blocker / "schemas")]
    )
    assert result.exit_code == 1
    assert result.stderr == f"Error: Not a directory: {blocker / 'schemas'}\n"
