"""`modelyard init` and `modelyard demo`."""

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


@click.command()
@click.argument("path", type=click.Path(file_okay=False))
@click.option("--quiet", is_flag=True, help="Print only the summary.")
def demo(path: str, quiet: bool) -> None:
    """Build the demo registry in PATH/registry/: recipes of every family and level, versions,
    models in every status, runs, weeks of monitoring and synthetic examples, every step a
    commit dated over the past weeks, made through these same commands."""
    from modelyard.demo.build import build_demo

    steps = build_demo(Path(path), echo=None if quiet else click.echo)
    click.echo(f"Built the demo registry in {Path(path).resolve() / 'registry'} ({steps} commits)")
