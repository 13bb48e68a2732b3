"""`modelyard clone URL DIR [--writer]`."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("clone")
@click.argument("url")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--writer",
    is_flag=True,
    help="A clone for a job that adds runs and snapshots: partial (file contents fetched "
    "only when checked out) and sparse (recipes, models, settings and schemas checked out; "
    "other runs and snapshots not).",
)
@click.option("--branch", help="The branch to clone. Default: the remote's default branch.")
def clone(url: str, folder: Path, writer: bool, branch: str | None) -> None:
    """Clone the team registry at URL into FOLDER.

    In a writer clone, `runs create`, `runs update` and `monitoring create` with --push work
    as anywhere else, and the clone stays small however many runs the registry holds."""
    from modelyard.cli.sync import _progress
    from modelyard.ops.sync import clone_registry

    done = clone_registry(
        url, folder, writer=writer, branch=branch, progress=_progress,
        interactive=sys.stdin.isatty(),
    )  # fmt: skip
    kind = "writer clone (partial, sparse)" if writer else "clone"
    click.echo(f"{kind} of {url} in {folder}; the registry is {done}")
