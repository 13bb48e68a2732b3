"""What every command shares: opening the registry, reading a body, printing the result."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from pydantic import BaseModel

    from modelyard.storage.registry import Registry

COMMAND_KEY = "modelyard.command"
CONTEXT_KEY = "modelyard.context"
JSON_KEY = "modelyard.json"


def _remember_json(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    # the error report prints the API's error body on stdout too when --json was given
    if value:
        ctx.meta[JSON_KEY] = True
    return value


json_option = click.option(
    "--json",
    "as_json",
    is_flag=True,
    callback=_remember_json,
    help="Print exactly the HTTP API's response body (on an error, its error body).",
)


def page_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option(
        "--offset", type=int, default=0, show_default=True, help="Skip this many matches."
    )(func)
    func = click.option(
        "--limit", type=int, default=100, show_default=True, help="At most this many (1-500)."
    )(func)
    return func


def body_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--body",
        "body_file",
        type=click.Path(dir_okay=False, allow_dash=True),
        help="The whole request body as a JSON or YAML file ('-' for standard input); "
        "flags override its fields.",
    )(func)


def open_registry(ctx: click.Context) -> Registry:
    from modelyard.storage.registry import Registry

    # remembered for the error report, which names the flag that sets a bad body field
    ctx.meta[COMMAND_KEY] = ctx.command
    ctx.meta[CONTEXT_KEY] = ctx
    return Registry.open(ctx.find_root().obj.get("registry") if ctx.find_root().obj else None)


def read_data(path: str, what: str = "body") -> Any:
    """A JSON or YAML document from a file or '-' (stdin), read safely."""
    from modelyard.errors import FileProblem, RegistryFileError
    from modelyard.storage import yamlio

    if path == "-":
        text, name = sys.stdin.read(), "<stdin>"
    else:
        try:
            text, name = Path(path).read_text(encoding="utf-8"), path
        except OSError as exc:
            raise click.BadParameter(
                f"cannot read {path}: {exc.strerror}", param_hint=f"--{what}"
            ) from None
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise RegistryFileError(
                [FileProblem(name, f"not valid JSON: {exc.msg}", exc.lineno, exc.colno)]
            ) from None
    try:
        return yamlio.load(text).data
    except yamlio.YamlError as exc:
        raise RegistryFileError([FileProblem(name, exc.message, exc.line, exc.column)]) from None


def read_manifest(path: str) -> Any:
    """A manifest from `--manifest`: the mapping itself, or a whole manifest file
    (`version:` and `manifest:`, as in `recipes/<id>/manifest.yaml`), whose `manifest` is
    taken; its `version` is not (the version comes from the change, or --version)."""
    data = read_data(path, "manifest")
    if (
        isinstance(data, dict)
        and isinstance(data.get("manifest"), dict)
        and set(data) <= {"version", "manifest"}
    ):
        return data["manifest"]
    return data


def build_body(body_file: str | None, **fields: Any) -> dict[str, Any]:
    """The body from `--body`, with every flag that was given laid over it."""
    body: dict[str, Any] = {}
    if body_file:
        data = read_data(body_file)
        if not isinstance(data, dict):
            raise click.BadParameter("the body must be a mapping of fields", param_hint="--body")
        body.update(data)
    for key, value in fields.items():
        if value is None or value == ():
            continue
        body[key] = list(value) if isinstance(value, tuple) else value
    return body


def to_json(result: BaseModel | dict[str, Any]) -> Any:
    """The one serializer: what --json, the server and the catalog's JSON mirrors print."""
    if isinstance(result, dict):
        return result
    return result.model_dump(mode="json")


def emit(result: BaseModel | dict[str, Any], as_json: bool, text: Callable[[Any], str]) -> None:
    if as_json:
        click.echo(json.dumps(to_json(result), indent=2, ensure_ascii=False))
    else:
        click.echo(text(result))


def table(rows: list[list[str]], headers: list[str]) -> str:
    """A plain text table; empty tables say so."""
    if not rows:
        return "(none)"
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    for row in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def fields_text(pairs: list[tuple[str, Any]]) -> str:
    width = max(len(k) for k, _ in pairs)
    out = []
    for key, value in pairs:
        if isinstance(value, dict | list):
            value = json.dumps(value, ensure_ascii=False)
        out.append(f"{key.ljust(width)}  {'' if value is None else value}")
    return "\n".join(out)
