"""The CLI's one translation of errors: a line on stderr naming what and where, exit 1
(usage errors: one line, exit 2); with --json, the HTTP API's error body on stdout too."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click

from modelyard.cli.common import COMMAND_KEY, CONTEXT_KEY, JSON_KEY
from modelyard.errors import ModelyardError, NotFound, ValidationFailed


def _say(message: str) -> None:
    click.secho(message, fg="red", err=True)


def _flag_hint(command: click.Command | None, loc: tuple[str | int, ...]) -> str:
    """` (--model-family)` when the command has a flag for the body field at `loc`."""
    if command is None or len(loc) != 2 or loc[0] not in ("body", "query"):
        return ""
    for param in command.params:
        if isinstance(param, click.Option) and param.name == loc[1]:
            return f" ({param.opts[-1]})"
    return ""


def error_body(exc: ModelyardError) -> dict[str, Any]:
    """What the HTTP API answers for this error: `{"detail": ...}`, and `action` when there
    is one (a not-found's hint names CLI commands, so the API leaves it out)."""
    body: dict[str, Any] = {"detail": exc.detail}
    if exc.action and not isinstance(exc, NotFound):
        body["action"] = exc.action
    return body


def _missing_flags(exc: ModelyardError, command: click.Command | None) -> list[str]:
    """The flags of the required fields a request lacked, when that is all that is wrong."""
    if not isinstance(exc, ValidationFailed) or command is None:
        return []
    flags = []
    for err in exc.errors:
        hint = _flag_hint(command, err.loc)
        if err.type != "value_error.missing" or not hint:
            return []
        flags.append(hint.strip(" ()"))
    return flags


def one_line_usage(exc: click.UsageError) -> None:
    """A usage error as one line on stderr: what is wrong, and where the help is."""
    path = exc.ctx.command_path if exc.ctx is not None else "modelyard"
    _say(f"Error: {exc.format_message()} (see '{path} --help')")


def run_guarded(call: Callable[[], Any], ctx: click.Context) -> Any:
    try:
        return call()
    except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, BrokenPipeError):
        raise  # a closed pipe (`modelyard ... | head`) is the reader's choice: main() ends quietly
    except ModelyardError as exc:
        if ctx.meta.get(JSON_KEY):
            click.echo(json.dumps(error_body(exc), indent=2, ensure_ascii=False))
        missing = _missing_flags(exc, ctx.meta.get(COMMAND_KEY))
        if missing:
            # a required field no flag gave: a usage error, as a missing click option is
            sub = ctx.meta.get(CONTEXT_KEY)
            raise click.UsageError(
                f"Missing option {', '.join(repr(f) for f in missing)}.", ctx=sub
            ) from None
        if isinstance(exc, ValidationFailed):
            _say("Error: invalid request")
            command = ctx.meta.get(COMMAND_KEY)
            for err in exc.errors:
                _say(
                    f"  {'.'.join(str(p) for p in err.loc)}: "
                    f"{err.msg}{_flag_hint(command, err.loc)}"
                )
        else:
            first, *rest = str(exc).splitlines()
            _say(f"Error: {first}")
            for line in rest:
                click.echo(line, err=True)
        ctx.exit(exc.exit_code)
    except OSError as exc:
        if exc.filename is None:  # not about a file the user named: treat as a bug below
            return _unexpected(exc, ctx)
        # a folder that cannot be made, a file that cannot be written: the machine, not a bug
        target = f"{exc.filename} -> {exc.filename2}" if exc.filename2 else exc.filename
        _say(f"Error: {exc.strerror or type(exc).__name__}: {target}")
        ctx.exit(1)
    except KeyboardInterrupt:
        _say("Interrupted")
        ctx.exit(130)
    except Exception as exc:  # a bug: say so, and how to see more
        return _unexpected(exc, ctx)


def _unexpected(exc: Exception, ctx: click.Context) -> Any:
    if (ctx.obj or {}).get("traceback") or "--traceback" in sys.argv:
        raise exc
    _say(f"Unexpected error: {type(exc).__name__}: {exc}")
    click.echo(
        "This is a bug in modelyard. Rerun with --traceback to see where it happened.", err=True
    )
    ctx.exit(1)
