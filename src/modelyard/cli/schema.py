"""`modelyard schema export DIR`: the JSON Schema of every kind of registry file, for editors."""

from __future__ import annotations

from pathlib import Path

import click


@click.group("schema")
def schema() -> None:
    """JSON Schemas of registry files (for editors using the YAML language server)."""


@schema.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def export(folder: Path) -> None:
    """Write the JSON Schema of every kind of registry file into FOLDER.

    recipe.json, manifest.json, model.json, run.json, snapshot.json, synthetic-example.json
    and settings.json. registry/.schema/ is where the `# yaml-language-server: $schema=`
    line of every registry file looks."""
    from modelyard.ops.setup import export_schemas

    for path in export_schemas(folder):
        click.echo(str(path))
