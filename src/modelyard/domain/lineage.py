"""Lineage rules (docs/registry.md, "Inheritance"): a child shares its parent's family, its
level is not above its parent's, no recipe is its own ancestor, and a chain holds at most
MAX_LINEAGE_DEPTH recipes (every walk up a chain is iterative and stops there)."""

from __future__ import annotations

from collections.abc import Callable

from modelyard.domain.enums import ModelFamily, RecipeLevel
from modelyard.domain.limits import MAX_LINEAGE_DEPTH


def lineage_problems(
    parent_family: ModelFamily, parent_level: RecipeLevel, family: ModelFamily, level: RecipeLevel
) -> list[tuple[str, str]]:
    """(field, message) for each way a child breaks the lineage rules of its parent."""
    problems = []
    if parent_family != family:
        problems.append(
            ("model_family", f"a child must share its parent's model_family ({parent_family})")
        )
    if level.rank < parent_level.rank:
        problems.append(
            (
                "level",
                f"a child's level cannot be above its parent's ({parent_level}); "
                "order: baseline < industry < client",
            )
        )
    return problems


def find_cycle(start: str, parent_of: Callable[[str], str | None]) -> list[str] | None:
    """The chain `start -> ... -> start` when following parents leads back to `start`
    within MAX_LINEAGE_DEPTH steps (a longer loop is a lineage too deep, reported as such)."""
    chain = [start]
    seen = {start}
    current = parent_of(start)
    while current is not None and len(chain) <= MAX_LINEAGE_DEPTH:
        chain.append(current)
        if current == start:
            return chain
        if current in seen:  # a cycle further up; it is reported on its own members
            return None
        seen.add(current)
        current = parent_of(current)
    return None


def ancestry(start: str, parent_of: Callable[[str], str | None]) -> list[str]:
    """`start` and its ancestors, child first: up to the root, to a recipe met already (a
    cycle), or to MAX_LINEAGE_DEPTH + 1 recipes, whichever comes first. A result longer than
    MAX_LINEAGE_DEPTH means the chain is too deep (see `too_deep_message`)."""
    chain = [start]
    seen = {start}
    current = parent_of(start)
    while current is not None and current not in seen and len(chain) <= MAX_LINEAGE_DEPTH:
        chain.append(current)
        seen.add(current)
        current = parent_of(current)
    return chain


def too_deep_message(chain: list[str], would: bool = False) -> str:
    """The words for a chain (child first) longer than MAX_LINEAGE_DEPTH: its first links
    and the one where the limit is crossed, so that the message stays one readable line."""
    crossed = chain[min(MAX_LINEAGE_DEPTH, len(chain) - 1)]
    shown = [*chain[:3], "...", crossed] if len(chain) > 4 else chain
    verb = "would be" if would else "is"
    return (
        f"the lineage {verb} deeper than {MAX_LINEAGE_DEPTH} recipes "
        f"({' -> '.join(shown)} -> ...); "
        f"at most {MAX_LINEAGE_DEPTH} recipes, the recipe itself included, may form one chain"
    )
