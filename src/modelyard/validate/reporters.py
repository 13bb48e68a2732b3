"""A report as text (grouped by file), JSON (stable, documented in docs/validate.md),
GitHub workflow commands (inline annotations on a pull request), and a Markdown summary."""

from __future__ import annotations

import json
from collections.abc import Callable
from itertools import groupby
from typing import Any

from modelyard.validate import mdsafe as md
from modelyard.validate.report import ERROR, RecipeChange, Report

Style = Callable[..., str]


def _plain(text: str, **_: Any) -> str:
    return text


def text(report: Report, strict: bool = False, style: Style = _plain) -> str:
    """Problems grouped by file, then the counts and the per-recipe changes."""
    lines: list[str] = []
    problems = report.sorted_problems()
    for file, group in groupby(problems, key=lambda p: p.file):
        lines.append(style(file, bold=True))
        for p in group:
            where = f"{p.line}:{p.column or 1}" if p.line else "-"
            colour = "red" if p.severity == ERROR else "yellow"
            field = f" {p.field}:" if p.field else ""
            lines.append(
                f"  {where:>8}  {style(p.severity, fg=colour)} [{p.code}]{field} {p.message}"
            )
        lines.append("")
    if report.recipe_changes:
        lines.append(style("Changes since " + (report.base or "the base"), bold=True))
        for change in report.recipe_changes:
            lines.extend("  " + line for line in change_lines(change))
        lines.append("")
    errors = sum(p.severity == ERROR for p in problems)
    warnings = len(problems) - errors
    verdict = "ok" if report.ok(strict) else "failed"
    colour = "green" if report.ok(strict) else "red"
    lines.append(
        style(
            f"{verdict}: {_count(errors, 'error')}, {_count(warnings, 'warning')} "
            f"in {_count(report.checked_files, 'file')} checked",
            fg=colour,
            bold=True,
        )
    )
    return "\n".join(lines)


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def change_lines(change: RecipeChange) -> list[str]:
    if change.status == "added":
        return [f"{change.recipe_id}: new recipe at {change.new_version}"]
    if change.status == "deleted":
        return [f"{change.recipe_id}: deleted (was {change.old_version})"]
    needs = f"needs {change.required_bump}" if change.required_bump else "no semantic change"
    head = (
        f"{change.recipe_id}: {change.old_version} -> {change.new_version} "
        f"({change.given_bump or 'no'} bump; {needs})"
    )
    return [head] + [
        f"  {c['op']:<11} {c['path_text']}: {_values(c)} ({c['bump']})" for c in change.changes
    ]


def _values(change: dict[str, Any]) -> str:
    if change["op"] == "add":
        return _short(change["new"])
    if change["op"] == "remove":
        return f"was {_short(change['old'])}"
    return f"{_short(change['old'])} -> {_short(change['new'])}"


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def as_json(report: Report, strict: bool = False) -> str:
    return json.dumps(report.as_json(strict), indent=2, ensure_ascii=False, default=str)


def github(report: Report, strict: bool = False) -> str:
    """One workflow command per problem (`::error file=...,line=...::message`), shown inline on
    the pull request's diff, then the counts as a notice."""
    out = []
    for p in report.sorted_problems():
        props = [f"file={_prop(p.file)}"]
        if p.line:
            props.append(f"line={p.line}")
            if p.column:
                props.append(f"col={p.column}")
        props.append(f"title={_prop(f'modelyard validate: {p.code}')}")
        field = f"{p.field}: " if p.field else ""
        out.append(f"::{p.severity} {','.join(props)}::{_data(field + p.message)}")
    counts = report.as_json(strict)
    out.append(f"::notice title=modelyard validate::{_data(_verdict(counts))}")
    return "\n".join(out)


def _verdict(counts: dict[str, Any]) -> str:
    return (
        f"{'ok' if counts['ok'] else 'failed'}: {_count(counts['errors'], 'error')}, "
        f"{_count(counts['warnings'], 'warning')} "
        f"in {_count(counts['checked_files'], 'file')} checked"
    )


def _data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(value: str) -> str:
    return _data(value).replace(":", "%3A").replace(",", "%2C")


def markdown(report: Report, strict: bool = False) -> str:
    """The review summary: verdict, what changed per recipe, then the problems. Every value
    from the registry goes through `mdsafe`, so none can add markup or HTML to the page."""
    counts = report.as_json(strict)
    mark = "✅" if counts["ok"] else "❌"
    base = f" (base {md.code(report.base)})" if report.base else ""
    lines = [f"## {mark} modelyard validate", "", _verdict(counts) + base, ""]
    if report.recipe_changes:
        lines += [
            "### Recipe changes",
            "",
            "| recipe | change | version | bump | required |",
            "| --- | --- | --- | --- | --- |",
        ]
        for c in report.recipe_changes:
            version = (
                f"{md.text(c.old_version or '-', True)} → {md.text(c.new_version or '-', True)}"
            )
            lines.append(
                f"| {md.code(c.recipe_id, True)} | {md.text(c.status, True)} | {version} | "
                f"{md.text(c.given_bump or '-', True)} | {md.text(c.required_bump or '-', True)} |"
            )
        lines.append("")
        for c in report.recipe_changes:
            if not c.changes:
                continue
            lines += [
                f"<details><summary><code>{md.html(c.recipe_id)}</code>: "
                f"{len(c.changes)} change(s)</summary>",
                "",
                "| op | path | old | new | bump |",
                "| --- | --- | --- | --- | --- |",
            ]
            lines += [
                f"| {md.text(e['op'], True)} | {md.code(e['path_text'], True)} | "
                f"{_cell(e['old'])} | {_cell(e['new'])} | {md.text(e['bump'], True)} |"
                for e in c.changes
            ]
            lines += ["", "</details>", ""]
    problems = report.sorted_problems()
    if problems:
        lines += ["### Problems", "", "| | file | field | problem |", "| --- | --- | --- | --- |"]
        for p in problems:
            icon = "❌" if p.severity == ERROR else "⚠️"
            where = f"{p.file}:{p.line}" if p.line else p.file
            lines.append(
                f"| {icon} | {md.code(where, True)} | {md.code(p.field or '', True)} | "
                f"{md.text(p.message, True)} ({md.code(p.code, True)}) |"
            )
        lines.append("")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    return "" if value is None else md.code(_short(value), True)
