"""An answer being written: its lines, the records it cites and the steps it suggests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from modelyard.chat.knowledge import Knowledge
from modelyard.chat.response import Intent, NextStep, Reference

MAX_LISTED = 20


@dataclass
class Draft:
    kb: Knowledge
    intent: Intent
    lines: list[str] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    next_steps: list[NextStep] = field(default_factory=list)
    focus: dict[str, Any] = field(default_factory=dict)
    answered: bool = True
    # words of the question the answer applied, beyond the vocabularies ("learning rate")
    read: set[str] = field(default_factory=set)

    def say(self, line: str) -> None:
        self.lines.append(line)

    def item(self, line: str) -> None:
        self.lines.append(f"- {line}")

    def cite(self, kind: str, ident: str) -> None:
        ref = self.kb.ref(kind, ident)
        self._add(ref)

    def cite_ref(self, ref: Reference) -> None:
        self._add(ref)

    def _add(self, ref: Reference) -> None:
        if all((r.type, r.id) != (ref.type, ref.id) for r in self.references):
            self.references.append(ref)

    def step(self, step: NextStep) -> None:
        if all(s.cli != step.cli for s in self.next_steps):
            self.next_steps.append(step)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"
