"""Options and arguments shared by several commands: enum choices spelled as in the seed,
and id arguments that complete from the registry's folders."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import click


def _complete_ids(folder: str) -> Any:
    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
        try:
            from modelyard.storage.registry import Registry

            root = ctx.find_root().params.get("registry")
            reg = Registry.open(root)
            return [i for i in reg.ids_in(folder) if i.startswith(incomplete)]
        except Exception:  # completion must never fail loudly
            return []

    return complete


def _complete_runs(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    try:
        from modelyard.storage.registry import Registry

        reg = Registry.open(ctx.find_root().params.get("registry"))
        return [run_id for _, run_id in reg.run_locations() if run_id.startswith(incomplete)]
    except Exception:  # completion must never fail loudly
        return []


def _complete_versions(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """The version numbers of the recipe named before this argument, newest first."""
    try:
        from modelyard.ops.history import History
        from modelyard.storage.registry import Registry

        recipe_id = ctx.params.get("recipe_id")
        if not recipe_id:
            return []
        reg = Registry.open(ctx.find_root().params.get("registry"))
        numbers = [v.version for v in History(reg, lazy=True).versions_of(recipe_id)][::-1]
        return [n for n in numbers if n.startswith(incomplete)]
    except Exception:  # completion must never fail loudly
        return []


def run_id_argument(name: str = "run_id") -> Any:
    return click.argument(name, metavar="RUN_ID", shell_complete=_complete_runs)


def version_argument(name: str = "version_id") -> Any:
    return click.argument(name, metavar="VERSION_ID", shell_complete=_complete_versions)


def recipe_id_argument(name: str = "recipe_id") -> Any:
    return click.argument(name, metavar="RECIPE_ID", shell_complete=_complete_ids("recipes"))


def model_id_argument(name: str = "model_id") -> Any:
    return click.argument(name, metavar="MODEL_ID", shell_complete=_complete_ids("models"))


def choice(enum: type[StrEnum]) -> click.Choice:
    """The values of one of the domain's enums, in its order. domain/enums.py is plain `enum`,
    so building the choices imports no pydantic."""
    return click.Choice([member.value for member in enum], case_sensitive=True)


def key_values(
    values: tuple[str, ...], option: str, numbers: bool = False
) -> dict[str, Any] | None:
    """`NAME=VALUE` pairs as a mapping; values parsed as YAML scalars (numbers stay numbers)."""
    if not values:
        return None
    from modelyard.storage import yamlio

    out: dict[str, Any] = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint=option)
        try:
            value = yamlio.load(raw).data if raw else ""
        except yamlio.YamlError as exc:
            raise click.BadParameter(f"{item!r}: {exc.message}", param_hint=option) from None
        if numbers and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise click.BadParameter(f"{item!r}: the value must be a number", param_hint=option)
        out[key] = value
    return out
