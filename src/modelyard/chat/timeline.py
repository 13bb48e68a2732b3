"""Questions about the past, answered from git: what was in a status on a date, who moved
a model into a status and when, what one version changed, and why a run failed (its logs)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from modelyard.chat import commands
from modelyard.chat.draft import Draft, plural
from modelyard.chat.explain import change_text, cite_version
from modelyard.chat.knowledge import Knowledge
from modelyard.chat.query import MONTHS
from modelyard.chat.understand import Question
from modelyard.domain.records import Run
from modelyard.domain.semver import parse as parse_semver
from modelyard.domain.timefmt import iso, parse_iso
from modelyard.ops import load
from modelyard.ops.history import History
from modelyard.ops.model_history import StatusChange, status_history
from modelyard.ops.recipe_history import recipe_status_history
from modelyard.storage.history import VersionSource

MONTH_NAMES = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY_MONTH = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH})\b\.?(?:\s+(\d{{4}}))?"
)
_MONTH_DAY = re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?")
_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
STATUS_VERBS = {
    "promoted": "production",
    "promote": "production",
    "deployed": "production",
    "staged": "staging",
    "retired": "retired",
    "retire": "retired",
    "registered": "draft",
    "register": "draft",
    "created": "draft",
}


class NoSuchDate(ValueError):
    """A day that does not exist, such as 31 February."""


def date_in(text: str, now: datetime) -> tuple[datetime, str] | None:
    """The end of the day a question names ("1 November", "Nov 1st", "2026-11-01") and how
    it reads; a date without a year is the latest such day not after `now`."""
    low = text.lower()
    year: int | None
    if m := _ISO_DAY.search(low):
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    elif m := _DAY_MONTH.search(low):
        day, month = int(m.group(1)), MONTHS[m.group(2)]
        year = int(m.group(3)) if m.group(3) else None
    elif m := _MONTH_DAY.search(low):
        month, day = MONTHS[m.group(1)], int(m.group(2))
        year = int(m.group(3)) if m.group(3) else None
    else:
        return None
    if year is None:
        year = now.year
        try:
            if datetime(year, month, day, tzinfo=now.tzinfo) > now:
                year -= 1
        except ValueError:
            raise NoSuchDate(f"{day} {MONTH_NAMES[month - 1]}") from None
    try:
        start = datetime(year, month, day, tzinfo=now.tzinfo)
    except ValueError:
        raise NoSuchDate(f"{day} {MONTH_NAMES[month - 1]} {year}") from None
    return start + timedelta(days=1) - timedelta(seconds=1), start.strftime("%-d %B %Y")


def as_of(kb: Knowledge, q: Question, moment: datetime, label: str, draft: Draft) -> None:
    """Each model's status at the end of a day, from the git history of the model files."""
    history = status_history(kb.reg)
    first = min((c.at for changes in history.values() for c in changes), default=None)
    if first is not None and parse_iso(first) > moment:
        draft.answered = False
        draft.say(
            f"I can't say: {label} is before the registry's history, whose first model was "
            f"registered on {first}; no model existed yet."
        )
        return
    wanted = q.model_statuses or ({"draft"} if q.draft else set())
    rows: list[tuple[str, StatusChange]] = []
    for model_id, changes in sorted(history.items()):
        before = [c for c in changes if parse_iso(c.at) <= moment]
        if before and (not wanted or before[-1].status in wanted):
            if (
                q.families
                and kb.models.get(model_id)
                and (kb.models[model_id].model_family not in q.families)
            ):
                continue
            rows.append((model_id, before[-1]))
    what = " or ".join(sorted(wanted)) if wanted else "any status"
    draft.say(
        f"On {label} (end of day, UTC), from the git history of the model files, "
        f"{plural(len(rows), 'model')} {'was' if len(rows) == 1 else 'were'} in {what}:"
    )
    for model_id, change in rows:
        draft.item(
            f"{model_id}: {change.status} since {change.at} "
            f"({change.author}, commit {change.commit[:12]})"
        )
        if model_id in kb.models:
            draft.cite("model", model_id)
    now = [m for m, c in rows if m in kb.models and kb.models[m].status != c.status]
    if now:
        draft.say(
            "Since then: " + ", ".join(f"{m} is now {kb.models[m].status}" for m in now) + "."
        )
    if not history:
        draft.say("No model file has any git history here, so I can't say.")


def who_moved(kb: Knowledge, q: Question, model_id: str, draft: Draft) -> None:
    """Who moved a model into a status, and when (a promotion: into production)."""
    verb = next((w for w in q.words if w in STATUS_VERBS), "promoted")
    status = STATUS_VERBS[verb]
    if q.model_statuses:
        status = next(iter(sorted(q.model_statuses)))
    changes = status_history(kb.reg, model_id).get(model_id, [])
    draft.cite("model", model_id)
    draft.focus["model_id"] = model_id
    hits = [c for c in changes if c.status == status]
    if not hits:
        draft.say(
            f"{model_id} has never been in {status}, by its git history "
            f"(it is {kb.models[model_id].status}; statuses: "
            + (", ".join(f"{c.status} {c.at}" for c in changes) or "none recorded")
            + ")."
        )
        return
    for c in hits:
        draft.say(
            f"{c.author} moved {model_id} to {status} on {c.at} "
            f'(commit {c.commit[:12]}: "{c.message}").'
        )
    draft.say(
        "Its status history: "
        + "; ".join(f"{c.status} on {c.at} by {c.author}" for c in changes)
        + "."
    )
    draft.step(commands.show_model(model_id))


def version_of(kb: Knowledge, recipe_id: str, number: str, draft: Draft) -> None:
    """What one version of a recipe changed; a version that does not exist is said not to,
    with the nearest real ones."""
    hist = kb.versions(recipe_id)
    draft.cite("recipe", recipe_id)
    draft.focus["recipe_id"] = recipe_id
    found = next((v for v in hist if v.version_number == number), None)
    if found is None:
        draft.answered = False
        real = [v.version_number for v in hist]
        draft.say(
            f"{recipe_id} has no version {number}. Its versions are {', '.join(real) or 'none'}"
            + (f"; the nearest is {_nearest(number, real)}" if real else "")
            + "."
        )
        draft.step(commands.list_versions(recipe_id))
        return
    cite_version(kb, draft, found)
    draft.say(
        f"{recipe_id} {found.version_number} ({found.version_id}) was committed "
        f'{iso(found.created_at)} by {found.created_by}: "{found.change_note}".'
    )
    diff = found.diff_from_prev
    if not diff:
        draft.say("It is the first version, so nothing came before it.")
    else:
        changes = diff["changes"]
        draft.say(
            f"What changed from {diff['from_version']} ({found.bump} bump): "
            + ("; ".join(change_text(c) for c in changes[:12]) or "only the parent pin")
            + "."
        )
    latest = hist[-1]
    if latest.version_number != found.version_number:
        draft.say(f"The current version is {latest.version_number}.")
    draft.step(commands.show_version(recipe_id, found.version_id))


def _nearest(number: str, real: list[str]) -> str:
    try:
        want = parse_semver(number)
    except ValueError:
        return real[-1]

    def distance(v: str) -> tuple[int, ...]:
        have = parse_semver(v)
        return tuple(abs(a - b) for a, b in zip(want, have, strict=True))

    return min(real, key=distance)


def failure(kb: Knowledge, runs: list[Run], draft: Draft) -> None:
    """Why runs failed: the error lines of their logs."""
    failed = [r for r in runs if r.status == "failed"]
    if not failed:
        draft.say(
            f"None of the {plural(len(runs), 'matching run')} failed"
            + (": " + ", ".join(f"{r.id} is {r.status}" for r in runs[:5]) if runs else "")
            + "."
        )
        for r in runs[:5]:
            draft.cite("run", r.id)
        return
    draft.say(
        f"{plural(len(failed), 'failed run')}; from {'its' if len(failed) == 1 else 'their'} logs:"
    )
    for run in failed[:5]:
        logs = load.run_out(kb.reg, run).logs_text or ""
        lines = [ln.strip() for ln in logs.splitlines() if ln.strip()]
        errors = [
            ln for ln in lines if re.search(r"error|exception|fatal|killed|traceback", ln, re.I)
        ]
        said = errors[-2:] or lines[-1:]
        who = f" for {run.model_id}" if run.model_id else ""
        draft.item(
            f"{run.id} ({run.run_type} of {run.recipe_version_id}{who}, "
            f"{iso(run.created_at)}): "
            + (" / ".join(said) if said else "its logs are empty, so the reason is not recorded")
        )
        draft.cite("run", run.id)
        draft.step(commands.show_run(run.id))
    if len(failed) == 1:
        draft.focus["run_id"] = failed[0].id


def recipe_status(kb: Knowledge, recipe_id: str, status: str, draft: Draft) -> None:
    """Who moved a recipe into a status (approved, archived), and when, from git."""
    changes = recipe_status_history(kb.reg, recipe_id)
    draft.cite("recipe", recipe_id)
    draft.focus["recipe_id"] = recipe_id
    hits = [c for c in changes if c.status == status]
    if not hits:
        draft.say(
            f"{recipe_id} has never been {status}, by its git history "
            f"(it is {kb.recipes[recipe_id].status})."
        )
        return
    for c in hits:
        first = c is changes[0]
        draft.say(
            f"{c.author} {'made' if first else 'moved'} {recipe_id} "
            f"{status if first else 'to ' + status} on {c.at} "
            f'(commit {c.commit[:12]}: "{c.message}")'
            + (", when it was created" if first else "")
            + "."
        )


def by_author(kb: Knowledge, q: Question, author: str, when: datetime | None, draft: Draft) -> None:
    """What one person committed: recipe versions and model status changes, from git; only
    on the day asked, when a date is given."""
    day = when.date().isoformat() if when else None
    rows: list[tuple[str, str]] = []
    for rid, sources in sorted(all_versions(kb).items()):
        for v in sources:
            at = iso(parse_iso(v.author_date))
            if v.author_name == author and (day is None or at.startswith(day)):
                rows.append((at, f'{rid} {v.version}: "{v.message.strip()}"'))
                if rid in kb.recipes:
                    draft.cite("recipe", rid)
    for model_id, changes in sorted(status_history(kb.reg).items()):
        for c in changes:
            if c.author == author and (day is None or c.at.startswith(day)):
                rows.append((c.at, f"{model_id} to {c.status}"))
                if model_id in kb.models:
                    draft.cite("model", model_id)
    if q.range is not None:  # "in October": only what they committed in the range
        rows = [(at, what) for at, what in rows if q.range.holds(parse_iso(at))]
    rows.sort()
    on = f" on {day}" if day else f" {q.range.label}" if q.range is not None else ""
    draft.say(f"{author} made {plural(len(rows), 'change')}{on}, from the registry's git history:")
    for at, what in rows:
        draft.item(f"{at} {what}")


def all_versions(kb: Knowledge) -> dict[str, list[VersionSource]]:
    """Every recipe's committed versions as git has them (one pass; nothing resolved)."""
    return History(kb.reg).sources
