"""The registry's own catalog templates (`templates/`): what the site build would refuse,
found in review rather than at publishing time.

Templates render in Jinja's sandbox, so a template that reaches for Python's internals
fails the build instead of running code. This check says so on the pull request: a link
among the templates or assets (`template-unsafe`), a template that does not parse
(`template-syntax`), and a read of an attribute or item the sandbox refuses, found in the
parsed template, each with its file and line (`template-unsafe`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from modelyard.errors import RegistryFileError
from modelyard.storage.safefs import read_file
from modelyard.storage.safewalk import walk
from modelyard.validate.context import Context

if TYPE_CHECKING:  # Jinja is imported only where a template is checked
    from jinja2 import nodes

FOLDER = "templates"  # the site's override folder, registry/templates/
ASSETS = f"{FOLDER}/assets/"  # copied as they are, never rendered


@cache
def unsafe_names() -> frozenset[str]:
    """Besides every name starting with "_": what the sandbox refuses on types, frames and
    generators."""
    from jinja2.sandbox import (
        UNSAFE_ASYNC_GENERATOR_ATTRIBUTES,
        UNSAFE_COROUTINE_ATTRIBUTES,
        UNSAFE_GENERATOR_ATTRIBUTES,
    )

    return frozenset(
        {"mro", "f_globals", "f_locals", "f_builtins", "f_back", "f_code", "tb_frame", "tb_next"}
        | UNSAFE_GENERATOR_ATTRIBUTES
        | UNSAFE_COROUTINE_ATTRIBUTES
        | UNSAFE_ASYNC_GENERATOR_ATTRIBUTES
    )


# filters whose first argument, or `attribute=`, names an attribute to read
_ATTRIBUTE_FILTERS = {
    "attr",
    "selectattr",
    "rejectattr",
    "map",
    "sort",
    "groupby",
    "sum",
    "unique",
    "min",
    "max",
    "join",
    "dictsort",
}

SANDBOX_HINT = (
    "templates render in Jinja's sandbox, which refuses it and fails the catalog build; "
    "a template may read the values each page is given (docs/catalog.md), not Python's "
    "internals: remove it"
)
LINK_HINT = "the catalog build refuses it; commit the file itself"


def is_template_path(rel: str) -> bool:
    """Whether a registry-relative path is in `templates/` (or is that folder)."""
    return rel == FOLDER or rel.startswith(f"{FOLDER}/")


def named_in(root: Path, paths: Iterable[str | os.PathLike[str]]) -> bool:
    """Whether any of `paths` (absolute, or relative to the registry) is in `templates/` or
    holds it, judged without following a link at its end (a linked template resolves
    outside the registry, and must still be reported)."""
    for given in paths:
        full = Path(given) if Path(given).is_absolute() else root / given
        for candidate in (
            Path(os.path.normpath(full)),
            Path(os.path.realpath(full.parent)) / full.name,
        ):
            try:
                rel = candidate.relative_to(root).as_posix()
            except ValueError:
                continue
            if rel == "." or is_template_path(rel):
                return True
    return False


def unsafe_name(name: str) -> bool:
    """What the sandbox would refuse to read: a private or special name, or an internal one."""
    return name.startswith("_") or name in unsafe_names()


def check_templates(ctx: Context) -> None:
    """Every file of `templates/`: links refused, templates parsed and looked through."""
    root = ctx.reg.root
    for rel, problem in walk(root, FOLDER):
        shown = ctx.display(rel)
        if problem is not None:
            ctx.out.error("template-unsafe", shown, f"{problem}; {LINK_HINT}")
            continue
        try:
            data = read_file(root, rel, display=shown)
        except RegistryFileError as exc:  # a link swapped in since the listing, a file too large
            for found in exc.problems:
                ctx.out.error("template-unsafe", found.path, found.message)
            continue
        if data is None or rel.startswith(ASSETS):
            continue
        _check_template(ctx, rel, shown, data)


def _check_template(ctx: Context, rel: str, shown: str, data: bytes) -> None:
    from jinja2 import Environment, TemplateSyntaxError

    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError:
        ctx.out.error(
            "template-syntax", shown, "not UTF-8 text; templates are read as UTF-8", (1, 1)
        )
        return
    try:
        tree = Environment().parse(source, rel.removeprefix(f"{FOLDER}/"), shown)
    except TemplateSyntaxError as exc:
        ctx.out.error(
            "template-syntax",
            shown,
            f"{exc.message}; the catalog build fails on it",
            (exc.lineno, 1),
        )
        return
    seen: set[tuple[int, str]] = set()
    for node, name, how in _reads(tree):
        if not unsafe_name(name) or (node.lineno, name) in seen:
            continue
        seen.add((node.lineno, name))
        ctx.out.error("template-unsafe", shown, f"{how} {name!r}: {SANDBOX_HINT}", (node.lineno, 1))


def _reads(tree: nodes.Template) -> Iterator[tuple[nodes.Node, str, str]]:
    """Every attribute or item the template reads by a constant name: (node, name, how)."""
    from jinja2 import nodes

    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter)):
        if isinstance(node, nodes.Getattr):
            yield node, node.attr, "reads the attribute"
        elif isinstance(node, nodes.Getitem):
            if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                yield node, node.arg.value, "reads the item"
        elif isinstance(node, nodes.Filter) and node.name in _ATTRIBUTE_FILTERS:
            args = node.args[:1] if node.name in ("attr", "selectattr", "rejectattr") else []
            args += [kw.value for kw in node.kwargs if kw.key == "attribute"]
            for arg in args:
                if isinstance(arg, nodes.Const) and isinstance(arg.value, str):
                    # `map(attribute='a.b')` and friends read a dotted path
                    for part in arg.value.split("."):
                        yield node, part, f"reads (with the {node.name} filter) the attribute"
