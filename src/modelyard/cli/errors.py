"""The CLI's one translation of errors: a line on stderr naming what and where, exit 1."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from modelyard.errors import ModelyardError, ValidationFailed


def _say(message: str) -> None:
    click.secho(message, fg="red", err=True)


def run_guarded(call: Callable[[], Any], ctx: click.Context) -> Any:
    try:
        return call()
    except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
        raise
    except ModelyardError as exc:
        if isinstance(exc, ValidationFailed):
            _say("Error: invalid request")
            for err in exc.errors:
                _say(f"  {'.'.join(str(p) for p in err.loc)}: {err.msg}")
        else:
            first, *rest = str(exc).splitlines()
            _say(f"Error: {first}")
            for line in rest:
                click.echo(line, err=True)
        ctx.exit(exc.exit_code)
    except KeyboardInterrupt:
        _say("Interrupted")
        ctx.exit(130)
    except Exception as exc:  # a bug: say so, and how to see more
        if (ctx.obj or {}).get("traceback") or "--traceback" in sys.argv:
            raise
        _say(f"Unexpected error: {type(exc).__name__}: {exc}")
        click.echo("This is a bug in modelyard. Rerun with --traceback to see where it happened.", err=True)
        ctx.exit(1)
