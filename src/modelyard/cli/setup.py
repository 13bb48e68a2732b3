"""`modelyard init`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from modelyard.storage.registry import Registry

# flag -> what it writes, in the order they are listed
TEAM_FILES = {
    "ci": "the CI workflow: validate pull requests, publish the catalog from the main branch",
    "pre-commit": "a pre-commit configuration that validates each commit against its upstream",
    "codeowners": "a CODEOWNERS example for recipes and model status",
    "readme": "a short README for the registry's repository",
}


def _team_flag(kind: str, what: str) -> click.Option:
    return click.Option(
        [f"--{kind}/--no-{kind}"],
        default=True,
        show_default=True,
        help=f"Write {what}.",
    )


@click.command(
    epilog="""\b
Examples:
  modelyard init my-registry --example    # a new repository, ready for the README's tour
  modelyard init . --no-readme            # an existing repository: its README is kept anyway
  modelyard init --no-ci --no-pre-commit --no-codeowners --no-readme   # the registry only"""
)
@click.argument("path", type=click.Path(file_okay=False), default=".")
@click.option("--name", help="The registry's name (default: the folder's).")
@click.option(
    "--branch",
    help="The main branch: the CI workflow publishes the catalog from it. Default: the "
    "current branch of an existing repository; a new one is made with `main`.",
)
@click.option(
    "--example",
    is_flag=True,
    help="Also write examples/pricing.yaml, a recipe manifest to start from.",
)
@click.pass_context
def init(
    ctx: click.Context, path: str, name: str | None, branch: str | None, example: bool, **team: bool
) -> None:
    """Start a registry in PATH/registry/ (git init first when PATH is not in a repository),
    with the files a team needs beside it: a CI workflow (.github/workflows/modelyard.yml), a
    pre-commit configuration, .github/CODEOWNERS and a README. Files that exist are kept.
    Run again in a registry's repository to add the team files it lacks."""
    from modelyard.ops import scaffold
    from modelyard.ops.setup import init_registry

    kinds = [kind for kind in TEAM_FILES if team[kind.replace("-", "_")]]
    if example:
        kinds.append("example")
    written: list[str] = []
    kept: list[str] = []

    def files(reg: Registry) -> dict[str, str]:
        opts = scaffold.Options(
            name=name or _existing_name(reg) or f"{Path(path).resolve().name} registry",
            prefix=reg.prefix,
            branch=branch or _current_branch(reg) or "main",
            sarif=_has_sarif(),
        )
        out = scaffold.texts(kinds, opts)
        for rel in out:
            (kept if (reg.worktree / rel).exists() else written).append(rel)
        return out

    reg = init_registry(Path(path), name, extra=files if kinds else None, branch=branch or "main")
    click.echo(f"Registry: {reg.root}")
    for rel in written:
        click.echo(f"  wrote {rel}")
    for rel in kept:
        click.echo(f"  kept {rel} (it exists already)")
    click.echo(f"Next: cd {Path(path)} && modelyard recipes create --help")


for _kind, _what in TEAM_FILES.items():
    init.params.append(_team_flag(_kind, _what))


def _current_branch(reg: Registry) -> str | None:
    ref = reg.git.branch_ref() if reg.in_git else None
    return ref.removeprefix("refs/heads/") if ref else None


def _existing_name(reg: Registry) -> str | None:
    from modelyard.storage import layout

    return reg.settings.name if (reg.root / layout.SETTINGS).is_file() else None


def _has_sarif() -> bool:
    """Whether this modelyard's `validate` can write SARIF (for the workflow's upload step)."""
    from modelyard.cli.validate import validate

    for param in validate.params:
        if param.name == "fmt" and isinstance(param.type, click.Choice):
            return "sarif" in param.type.choices
    return False
