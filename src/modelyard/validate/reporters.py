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
    if report.descendant_impacts:
        lines.append(style("Descendants that change once they follow", bold=True))
        for d in report.descendant_impacts:
            lines.extend("  " + line for line in impact_lines(d))
        lines.append("")
    if report.gate_impacts:
        lines.append(style("Models the changed gates would not let into their status", bold=True))
        for g in report.gate_impacts:
            lines.append(f"  {g.model_id} ({g.status}, gate of {g.source}): {'; '.join(g.unmet)}")
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


def impact_lines(d: Any) -> list[str]:
    head = (
        f"{d.recipe_id} (via {' -> '.join(d.path)}; at {d.version}, pinned to {d.pinned}): "
        f"{len(d.changes)} change(s), needs a {d.required_bump or 'patch'} bump to "
        f"{d.next_version}"
    )
    return [head] + [
        f"  {c['op']:<11} {c['path_text']}: {_values(c)} ({c['bump']})" for c in d.changes
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


# GitHub shows at most 10 error and 10 warning annotations of a step (50 of a job): the
# most important are annotated, the rest listed in the log and counted in the notice
ANNOTATIONS_PER_STEP = 10
_FIRST = ("gate", "version-", "status-transition", "deleted-in-use", "immutable-field")


def importance(problem: Any) -> tuple[int, int, tuple[str, int, int, str]]:
    """Errors first; among them gates, versions and lifecycles before file-level problems."""
    rank = next((i for i, c in enumerate(_FIRST) if problem.code.startswith(c)), len(_FIRST))
    return (0 if problem.severity == ERROR else 1, rank, problem.sort_key())


def github(report: Report, strict: bool = False, cap: int = ANNOTATIONS_PER_STEP) -> str:
    """One workflow command per problem (`::error file=...,line=...::message`), shown inline on
    the pull request's diff, at most `cap` of each severity, most important first; the others
    as plain log lines; then the counts as a notice."""
    out = []
    shown = {ERROR: 0, "warning": 0}
    left: list[str] = []
    for p in sorted(report.sorted_problems(), key=importance):
        field = f"{p.field}: " if p.field else ""
        if shown.get(p.severity, 0) >= cap:
            where = f"{p.file}:{p.line}" if p.line else p.file
            left.append(f"{p.severity}: {where}: [{p.code}] {field}{p.message}")
            continue
        shown[p.severity] = shown.get(p.severity, 0) + 1
        props = [f"file={_prop(p.file)}"]
        if p.line:
            props.append(f"line={p.line}")
            if p.column:
                props.append(f"col={p.column}")
        props.append(f"title={_prop(f'modelyard validate: {p.code}')}")
        out.append(f"::{p.severity} {','.join(props)}::{_data(field + p.message)}")
    out.extend(_data(line) for line in left)
    counts = report.as_json(strict)
    verdict = _verdict(counts)
    if left:
        verdict += (
            f"; {len(left)} more not annotated (GitHub shows at most {cap} of each kind per "
            "step), listed in the log above"
        )
    out.append(f"::notice title=modelyard validate::{_data(verdict)}")
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
    if report.descendant_impacts:
        lines += [
            "### Descendants that change once they follow",
            "",
            "| recipe | via | at | pinned to | changes | needs |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for d in report.descendant_impacts:
            changed = ", ".join(md.code(c["path_text"], True) for c in d.changes[:5])
            if len(d.changes) > 5:
                changed += f" and {len(d.changes) - 5} more"
            lines.append(
                f"| {md.code(d.recipe_id, True)} | {md.text(' → '.join(d.path), True)} | "
                f"{md.text(d.version, True)} | {md.code(d.pinned, True)} | {changed} | "
                f"{md.text(d.required_bump or 'patch', True)} → "
                f"{md.text(d.next_version, True)} |"
            )
        lines.append("")
    if report.gate_impacts:
        lines += [
            "### Models the changed gates would not let into their status",
            "",
            "| model | status | gate | unmet |",
            "| --- | --- | --- | --- |",
        ]
        for g in report.gate_impacts:
            lines.append(
                f"| {md.code(g.model_id, True)} | {md.text(g.status, True)} | "
                f"{md.text(g.source or '', True)} | {md.text('; '.join(g.unmet), True)} |"
            )
        lines.append("")
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


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def sarif(report: Report, strict: bool = False) -> str:
    """The report as SARIF 2.1.0, for code-scanning upload: one result per problem, one rule
    per code (docs/validate.md lists them)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        tool_version = version("modelyard")
    except PackageNotFoundError:
        tool_version = "0"
    problems = report.sorted_problems()
    codes = sorted({p.code for p in problems})
    results = []
    for p in problems:
        region: dict[str, Any] = {}
        if p.line:
            region["startLine"] = p.line
            if p.column:
                region["startColumn"] = p.column
        location: dict[str, Any] = {"artifactLocation": {"uri": p.file}}
        if region:
            location["region"] = region
        field = f"{p.field}: " if p.field else ""
        results.append(
            {
                "ruleId": p.code,
                "ruleIndex": codes.index(p.code),
                "level": "error" if p.severity == ERROR else "warning",
                "message": {"text": field + p.message},
                "locations": [{"physicalLocation": location}],
            }
        )
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "modelyard validate",
                        "version": tool_version,
                        "rules": [
                            {
                                "id": code,
                                "shortDescription": {"text": f"modelyard validate: {code}"},
                            }
                            for code in codes
                        ],
                    }
                },
                "results": results,
                "properties": {"ok": report.ok(strict), "base": report.base},
            }
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)
