"""The Jinja environment: autoescape everywhere, StrictUndefined, the registry's own
templates before the built-in ones, and one safe way to embed JSON in a page."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateSyntaxError,
)
from markupsafe import Markup

from modelyard import __version__
from modelyard.errors import ModelyardError

OVERRIDE_FOLDER = "templates"  # inside the registry folder: registry/templates/

_JSON_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "'": "\\u0027",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


class TemplateProblem(ModelyardError):
    """A template failed to render: which file, which line, what went wrong."""


def template_problem(exc: TemplateError, name: str) -> TemplateProblem:
    """`exc` as a message naming the template file and line (jinja puts template frames in
    the traceback under the template's own file name)."""
    where, line = name, None
    if isinstance(exc, TemplateSyntaxError):
        where, line = exc.filename or exc.name or name, exc.lineno
    else:
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename.endswith(".html"):
                where, line = tb.tb_frame.f_code.co_filename, tb.tb_lineno
            tb = tb.tb_next
    at = f"{where}, line {line}" if line else where
    return TemplateProblem(f"template {at}: {exc.message or exc}",
                           action="fix the template (templates run with StrictUndefined: every variable "
                           "must exist; see docs/catalog.md for each page's context)")


def builtin_templates() -> Path:
    """The templates shipped with modelyard: `modelyard/templates` in an installed wheel,
    the repository's top-level `templates/` in a source checkout."""
    packaged = Path(str(resources.files("modelyard"))) / "templates"
    if (packaged / "base.html").is_file():
        return packaged
    source = Path(__file__).resolve().parents[3] / "templates"
    if (source / "base.html").is_file():
        return source
    raise FileNotFoundError(f"modelyard's catalog templates are missing (looked in {packaged} and {source})")


def template_dirs(registry_root: Path) -> list[Path]:
    """Where templates are looked up, first match wins."""
    dirs = []
    override = registry_root / OVERRIDE_FOLDER
    if override.is_dir():
        dirs.append(override)
    dirs.append(builtin_templates())
    return dirs


def json_for_script(value: Any) -> Markup:
    """JSON safe inside `<script>` and HTML attributes: `<`, `>`, `&`, `'`, U+2028 and U+2029
    escaped, so no value can end the script element or break a JavaScript string."""
    dumped = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for char, escaped in _JSON_ESCAPES.items():
        dumped = dumped.replace(char, escaped)
    return Markup(dumped)


def make_env(dirs: list[Path]) -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(d)) for d in dirs]),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # a build renders the templates it hashed at its start
    )
    env.filters["json_script"] = json_for_script
    env.globals["modelyard_version"] = __version__
    return env


def templates_digest(dirs: list[Path]) -> str:
    """A hash of every template and asset, and of modelyard's version: when it changes,
    every page is rendered again."""
    digest = hashlib.sha256(__version__.encode())
    for folder in dirs:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(path.relative_to(folder).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def asset_files(dirs: list[Path]) -> dict[str, Path]:
    """The static assets (`assets/...`), a registry's own replacing the built-in one of the same name."""
    found: dict[str, Path] = {}
    for folder in reversed(dirs):
        base = folder / "assets"
        if base.is_dir():
            for path in sorted(p for p in base.rglob("*") if p.is_file()):
                found[path.relative_to(folder).as_posix()] = path
    return dict(sorted(found.items()))
