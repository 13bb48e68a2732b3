"""The Jinja environment: sandboxed, autoescape everywhere, StrictUndefined, the registry's
own templates before the built-in ones, and one safe way to embed JSON in a page.

A registry's templates come from pull requests, so they are rendered by Jinja's immutable
sandbox: a template can read the data it is given, but not reach Python (`__globals__`,
`__subclasses__`, `mro`, ...) nor change what it is given (`list.append`). An attempt is a
SecurityError, reported like any template error: the file, the line, what to do."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, StrictUndefined, TemplateError, TemplateSyntaxError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from modelyard import __version__
from modelyard.errors import ModelyardError
from modelyard.site.sources import Display, RegistryTemplates, TemplateSources

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


UNDEFINED_ACTION = (
    "fix the template (templates run with StrictUndefined: every variable must exist; "
    "see docs/catalog.md for each page's context)"
)
SANDBOX_ACTION = (
    "remove it: templates run in Jinja's sandbox, which lets them read the values a page is "
    "given but not Python's internals (names starting with '_', mro, function globals) nor "
    'change values; see docs/catalog.md, "Your own templates"'
)


def template_problem(exc: TemplateError, name: str) -> TemplateProblem:
    """`exc` as a message naming the template file and line (jinja puts template frames in
    the traceback under the template's own file name; the innermost one is where it failed)."""
    where, line = name, None
    if isinstance(exc, TemplateSyntaxError):
        where, line = exc.filename or exc.name or name, exc.lineno
    else:
        tb = exc.__traceback__
        while tb is not None:
            filename = tb.tb_frame.f_code.co_filename
            if filename.endswith(".html") or filename == "<template>":
                where, line = filename, tb.tb_lineno
            tb = tb.tb_next
    at = f"{where}, line {line}" if line else where
    action = SANDBOX_ACTION if _is_sandbox(exc) else UNDEFINED_ACTION
    return TemplateProblem(f"template {at}: {exc.message or exc}", action=action)


def _is_sandbox(exc: BaseException) -> bool:
    # an unsafe attribute read gives an Undefined that raises SecurityError when used, and
    # a chained read of it (`x.__init__.__globals__`) raises while the first one is handled
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, SecurityError):
            return True
        seen = seen.__context__
    return False


def builtin_templates() -> Path:
    """The templates shipped with modelyard: `modelyard/templates` in an installed wheel,
    the repository's top-level `templates/` in a source checkout."""
    packaged = Path(str(resources.files("modelyard"))) / "templates"
    if (packaged / "base.html").is_file():
        return packaged
    source = Path(__file__).resolve().parents[3] / "templates"
    if (source / "base.html").is_file():
        return source
    raise FileNotFoundError(
        f"modelyard's catalog templates are missing (looked in {packaged} and {source})"
    )


def template_sources(registry_root: Path, display: Display | None = None) -> TemplateSources:
    """The registry's `templates/` (read without following links) over the built-in set.
    `display` names registry files in errors (a registry's `display`)."""
    return TemplateSources(RegistryTemplates(registry_root, display), builtin_templates())


def json_for_script(value: Any) -> Markup:
    """JSON safe inside `<script>` and HTML attributes: `<`, `>`, `&`, `'`, U+2028 and U+2029
    escaped, so no value can end the script element or break a JavaScript string."""
    dumped = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for char, escaped in _JSON_ESCAPES.items():
        dumped = dumped.replace(char, escaped)
    return Markup(dumped)


def make_env(sources: TemplateSources) -> Environment:
    """The one environment every page is rendered with."""
    env = ImmutableSandboxedEnvironment(
        loader=sources.loader(),
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
