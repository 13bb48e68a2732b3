"""Comparing two versions of a recipe, or two runs."""

from __future__ import annotations

from modelyard.chat import commands
from modelyard.chat.draft import Draft, plural
from modelyard.chat.explain import change_text
from modelyard.chat.knowledge import Knowledge
from modelyard.domain.numbers import num
from modelyard.domain.records import Run
from modelyard.domain.semver import manifest_diff
from modelyard.domain.timefmt import iso


def compare_versions(kb: Knowledge, recipe_id: str, numbers: list[str], draft: Draft) -> None:
    hist = kb.versions(recipe_id)
    draft.cite("recipe", recipe_id)
    draft.focus["recipe_id"] = recipe_id
    known = {v.version_number: v for v in hist}
    missing = [n for n in numbers if n not in known]
    if missing:
        draft.answered = False
        draft.say(
            f"{recipe_id} has no version {', '.join(missing)}; its versions are "
            f"{', '.join(v.version_number for v in hist) or 'none'}."
        )
        draft.step(commands.list_versions(recipe_id))
        return
    if len(hist) < 2 and len(numbers) < 2:
        why = f" ({kb.problems[recipe_id]})" if recipe_id in kb.problems else ""
        draft.say(
            f"{recipe_id} has {plural(len(hist), 'readable version')}{why}, "
            "so there is nothing to compare."
        )
        draft.step(commands.list_versions(recipe_id))
        return
    if len(numbers) >= 2:
        old, new = sorted((known[numbers[0]], known[numbers[1]]), key=lambda v: hist.index(v))
    elif len(numbers) == 1:
        new = known[numbers[0]]
        i = hist.index(new)
        old = hist[i - 1] if i > 0 else hist[1]
        old, new = sorted((old, new), key=lambda v: hist.index(v))
    else:
        old, new = hist[-2], hist[-1]
    for v in (old, new):
        draft.cite_ref(kb.version_ref(v))
    diff = manifest_diff(
        old.manifest_json,
        new.manifest_json,
        old.version_number,
        tuple(kb.reg.settings.breaking_paths),
    )
    changes = diff["changes"] if diff else []
    draft.say(
        f"{recipe_id} {old.version_number} ({iso(old.created_at)}) -> {new.version_number} "
        f"({iso(new.created_at)}): {len(changes)} change{'s' if len(changes) != 1 else ''} "
        "to the resolved manifest"
        + (f", a {diff['bump']} change" if diff and diff["bump"] else "")
        + "."
    )
    for c in changes[:30]:
        draft.item(change_text(c))
    between = [v for v in hist if hist.index(old) < hist.index(v) <= hist.index(new)]
    for v in between:
        draft.item(f'{v.version_number} change note: "{v.change_note}" ({v.created_by})')
    draft.step(commands.show_version(recipe_id, new.version_id))


def compare_runs(kb: Knowledge, runs: list[Run], draft: Draft) -> None:
    a, b = sorted(runs[:2], key=lambda r: (r.created_at, r.id))
    for r in (a, b):
        draft.cite("run", r.id)
        draft.step(commands.show_run(r.id))
    draft.say(
        f"{a.id}: {a.run_type} of {a.recipe_version_id}, {a.status}, created {iso(a.created_at)}."
    )
    draft.say(
        f"{b.id}: {b.run_type} of {b.recipe_version_id}, {b.status}, created {iso(b.created_at)}."
    )
    names = sorted(set(a.metrics_json) | set(b.metrics_json))
    if not names:
        draft.say("Neither run reports metrics.")
        return
    draft.say("Metrics (older run, newer run, newer minus older):")
    for n in names:
        x, y = a.metrics_json.get(n), b.metrics_json.get(n)
        if x is None or y is None:
            draft.item(
                f"{n}: {num(x) if x is not None else 'not reported'}, "
                f"{num(y) if y is not None else 'not reported'}"
            )
        else:
            draft.item(f"{n}: {num(x)}, {num(y)}, {num(round(y - x, 10))}")
    if a.recipe_version_id != b.recipe_version_id:
        draft.say(
            f"They ran different recipe versions: {a.recipe_version_id} and {b.recipe_version_id}."
        )
