"""`modelyard demo`: the command lives with the demo, which sits above the CLI it drives."""

from __future__ import annotations

from pathlib import Path

import click


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
