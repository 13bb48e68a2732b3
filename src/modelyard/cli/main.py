"""`modelyard`: the entry point. Subcommands load lazily, so `--help` imports only click."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from modelyard import __version__

# name: (module:attribute, one-line help). Help is here so `modelyard --help` imports nothing else.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("modelyard.cli.setup:init", "Start a registry in a git repository (or make one)."),
    "demo": ("modelyard.demo.command:demo", "Build the demo registry in a new git repository."),
    "recipes": (
        "modelyard.cli.recipes:recipes",
        "List, show, create, update, delete and clone recipes.",
    ),
    "versions": ("modelyard.cli.versions:versions", "List, show and create recipe versions."),
    "models": ("modelyard.cli.models:models", "List, show, register and update models."),
    "runs": (
        "modelyard.cli.runs:runs",
        "List, show, create and update train, eval and backtest runs.",
    ),
    "monitoring": (
        "modelyard.cli.monitoring:monitoring",
        "List and record monitoring snapshots of a model.",
    ),
    "synthetic": (
        "modelyard.cli.synthetic:synthetic",
        "Show and set a recipe's synthetic example.",
    ),
    "site": ("modelyard.cli.site:site", "Build the static catalog and preview it on 127.0.0.1."),
    "validate": (
        "modelyard.cli.validate:validate",
        "Check the registry, or a change to it against a base ref.",
    ),
    "schema": (
        "modelyard.cli.schema:schema",
        "Export the JSON Schemas of registry files for editors.",
    ),
    "sync": (
        "modelyard.cli.sync:sync",
        "Fetch, replay local commits onto the remote's branch, push.",
    ),
    "clone": (
        "modelyard.cli.clone:clone",
        "Clone a team registry; --writer: a small clone for jobs that add runs.",
    ),
    "serve": ("modelyard.cli.serve:serve", "Serve the seed HTTP API, its docs and the catalog."),
    "chat": (
        "modelyard.cli.chat:chat",
        "Ask the assistant about the registry: answers cite records and give commands.",
    ),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when used."""

    def __init__(
        self, *args: Any, lazy: dict[str, tuple[str, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            target, _ = self.lazy[cmd_name]
            module, attr = target.split(":")
            command: click.Command = getattr(importlib.import_module(module), attr)
            return command
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, self.lazy[name][1]) for name in sorted(self.lazy)]
        rows += [
            (name, cmd.get_short_help_str())
            for name in super().list_commands(ctx)
            if (cmd := super().get_command(ctx, name)) is not None and name not in self.lazy
        ]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(sorted(rows))

    def invoke(self, ctx: click.Context) -> Any:
        from modelyard.cli.errors import run_guarded

        return run_guarded(lambda: super(LazyGroup, self).invoke(ctx), ctx)


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--registry",
    "registry",
    envvar="MODELYARD_REGISTRY",
    type=click.Path(file_okay=False),
    help="The registry folder, or a repository with registry/ in it. "
    "Default: $MODELYARD_REGISTRY, else found upward from the current folder.",
)
@click.option("--traceback", is_flag=True, help="Show the full traceback of an unexpected error.")
@click.version_option(__version__, prog_name="modelyard")
@click.pass_context
def cli(ctx: click.Context, registry: str | None, traceback: bool) -> None:
    """modelyard: a git-backed registry for ML model development.

    Recipes, versions, models, runs and monitoring snapshots live as YAML files in
    registry/; every change is a git commit. Every command prints readable text, or
    with --json exactly the seed API's response body.
    """
    ctx.ensure_object(dict)
    ctx.obj["registry"] = registry
    ctx.obj["traceback"] = traceback


def main() -> None:
    # pydantic otherwise scans every installed package's entry points for plugins when the
    # first model is built: about 20 ms of each command's start-up, for nothing here
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    try:
        try:
            cli(prog_name="modelyard")
        finally:
            sys.stdout.flush()
    except BrokenPipeError:
        # the reader (`| head`) closed the pipe before the last flush: stop quietly with click's
        # exit code for it (1); stdout goes to /dev/null so Python's own flush at exit is quiet too
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
