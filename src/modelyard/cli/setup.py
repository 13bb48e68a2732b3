"""`modelyard init`."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("path", type=click.Path(file_okay=False), default=".")
@click.option("--name", help="The registry's name (default: the folder's).")
def init(path: str, name: str | None) -> None:
    """Start a registry in PATH/registry/ (git init first when PATH is not in a repository)."""
    from modelyard.ops.setup import init_registry

    reg = init_registry(Path(path), name)
    click.echo(f"Started a registry in {reg.root}")
    click.echo(f"Next: modelyard --registry {reg.root} recipes create --help")
