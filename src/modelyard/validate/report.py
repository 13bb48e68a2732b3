"""What validation finds: problems with where they are, and the changes a base comparison saw."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from modelyard.errors import FileProblem

ERROR = "error"
WARNING = "warning"

REPORT_FORMAT = 1  # bumped only when the JSON report changes incompatibly


@dataclass(frozen=True)
class Problem:
    """One problem: how bad, which rule, where (file, line, column, field) and what to do."""

    severity: str
    code: str
    file: str
    message: str
    line: int | None = None
    column: int | None = None
    field: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "field": self.field,
            "message": self.message,
        }

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file, self.line or 0, self.column or 0, self.code)


@dataclass
class RecipeChange:
    """What a change did to one recipe compared with the base: the review summary's row."""

    recipe_id: str
    status: str  # added, changed, deleted
    old_version: str | None
    new_version: str | None
    given_bump: str | None
    required_bump: str | None
    changes: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "recipe_id": self.recipe_id,
            "status": self.status,
            "old_version": self.old_version,
            "new_version": self.new_version,
            "bump": self.given_bump,
            "required_bump": self.required_bump,
            "changes": self.changes,
        }


@dataclass
class Report:
    """Every problem found, the files checked, and (with a base) what changed."""

    problems: list[Problem] = field(default_factory=list)
    checked_files: int = 0
    base: str | None = None
    changed_files: list[str] = field(default_factory=list)
    recipe_changes: list[RecipeChange] = field(default_factory=list)
    # validate/impact.py: DescendantImpact and GateImpact (docs/promotion.md)
    descendant_impacts: list[Any] = field(default_factory=list)
    gate_impacts: list[Any] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    def ok(self, strict: bool = False) -> bool:
        return not self.errors and not (strict and self.warnings)

    def sorted_problems(self) -> list[Problem]:
        unique = {(p.file, p.line, p.column, p.code, p.field, p.message): p for p in self.problems}
        return sorted(unique.values(), key=Problem.sort_key)

    def as_json(self, strict: bool = False) -> dict[str, Any]:
        problems = self.sorted_problems()
        return {
            "format": REPORT_FORMAT,
            "ok": self.ok(strict),
            "errors": sum(p.severity == ERROR for p in problems),
            "warnings": sum(p.severity == WARNING for p in problems),
            "checked_files": self.checked_files,
            "base": self.base,
            "changed_files": self.changed_files,
            "problems": [p.as_json() for p in problems],
            "recipe_changes": [c.as_json() for c in self.recipe_changes],
            "descendant_impacts": [d.as_json() for d in self.descendant_impacts],
            "gate_impacts": [g.as_json() for g in self.gate_impacts],
        }


class Collector:
    """Adds problems to a report; knows how to turn a FileProblem into one."""

    def __init__(self, report: Report) -> None:
        self.report = report

    def error(
        self,
        code: str,
        file: str,
        message: str,
        where: tuple[int, int] | None = None,
        field: str | None = None,
    ) -> None:
        self._add(ERROR, code, file, message, where, field)

    def warning(
        self,
        code: str,
        file: str,
        message: str,
        where: tuple[int, int] | None = None,
        field: str | None = None,
    ) -> None:
        self._add(WARNING, code, file, message, where, field)

    def _add(
        self,
        severity: str,
        code: str,
        file: str,
        message: str,
        where: tuple[int, int] | None,
        field: str | None,
    ) -> None:
        line, column = where if where else (None, None)
        self.report.add(Problem(severity, code, file, message, line, column, field))

    def file_problem(self, code: str, problem: FileProblem) -> None:
        self.report.add(
            Problem(
                ERROR,
                code,
                problem.path,
                problem.message,
                problem.line,
                problem.column,
                problem.field,
            )
        )


def did_you_mean(word: str, choices: list[str] | set[str]) -> str:
    """`; did you mean 'x'?` for the closest choice, or nothing."""
    matches = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f"; did you mean {matches[0]!r}?" if matches else ""
