"""Lineage rules (DESIGN.md section 3): a child shares its parent's family, its level is not
above its parent's, and no recipe is its own ancestor."""

from __future__ import annotations

from collections.abc import Callable

from modelyard.domain.enums import ModelFamily, RecipeLevel


def lineage_problems(
    parent_family: ModelFamily, parent_level: RecipeLevel, family: ModelFamily, level: RecipeLevel
) -> list[tuple[str, str]]:
    """(field, message) for each way a child breaks the lineage rules of its parent."""
    problems = []
    if parent_family != family:
        problems.append(("model_family", f"a child must share its parent's model_family ({parent_family})"))
    if level.rank < parent_level.rank:
        problems.append(("level", f"a child's level cannot be above its parent's ({parent_level}); "
                                  "order: baseline < industry < client"))
    return problems


def find_cycle(start: str, parent_of: Callable[[str], str | None]) -> list[str] | None:
    """The chain `start -> ... -> start` when following parents leads back to `start`."""
    chain = [start]
    seen = {start}
    current = parent_of(start)
    while current is not None:
        chain.append(current)
        if current == start:
            return chain
        if current in seen:  # a cycle further up; it is reported on its own members
            return None
        seen.add(current)
        current = parent_of(current)
    return None
