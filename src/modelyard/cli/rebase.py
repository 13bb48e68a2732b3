"""`modelyard recipes rebase`: move a child recipe onto a newer version of its parent."""

from __future__ import annotations

import json
from typing import Any

import click

from modelyard.cli.common import emit, json_option, open_registry, read_data, table
from modelyard.cli.options import recipe_id_argument
from modelyard.cli.sync import push_option


def _show(value: Any) -> str:
    return "(absent)" if value is None else json.dumps(value, ensure_ascii=False)


def rebase_text(r: Any) -> str:
    done = "committed" if r.applied else "would make"
    head = (
        f"rebase {r.recipe_id} onto {r.parent_id} {r.to_version} (from {r.from_version}): "
        f"{done} version {r.version} ({r.bump} bump from {r.current_version})"
    )
    if r.commit:
        head += f" in {r.commit[:10]}"
    rows = [
        [
            c.path,
            c.case + (f" ({c.resolved_by})" if c.resolved_by else ""),
            _show(c.base),
            _show(c.ours),
            _show(c.theirs),
            "?" if c.case == "conflict" and not c.resolved_by else _show(c.result),
        ]
        for c in r.changes
    ]
    out = [head, "", table(rows, ["path", "case", "parent was", "child", "parent now", "result"])]
    if r.unresolved:
        out += [
            "",
            f"{len(r.unresolved)} unresolved conflict(s): {', '.join(r.unresolved)}",
            "settle each with --ours PATH, --theirs PATH or --resolutions FILE",
        ]
    return "\n".join(out)


@click.command("rebase")
@recipe_id_argument()
@click.option("--to", "to_version", metavar="VERSION", help="Parent version (default: current).")
@click.option(
    "--ours", multiple=True, metavar="PATH", help="On a conflict at PATH keep the child's value."
)
@click.option(
    "--theirs", multiple=True, metavar="PATH", help="On a conflict at PATH take the parent's value."
)
@click.option(
    "--resolutions",
    "resolutions_file",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="A YAML or JSON mapping of PATH: ours | theirs | {value: X}.",
)
@click.option("--check", is_flag=True, help="Report what would change; write nothing.")
@click.option("--change-note", help="Your words for the commit (the parent versions are added).")
@click.option("--created-by", help="Author of the commit.")
@json_option
@push_option
@click.pass_context
def rebase(
    ctx: click.Context,
    recipe_id: str,
    to_version: str | None,
    ours: tuple[str, ...],
    theirs: tuple[str, ...],
    resolutions_file: str | None,
    check: bool,
    change_note: str | None,
    created_by: str | None,
    as_json: bool,
) -> None:
    """Rebase a child recipe onto a newer version of its parent, as a new version of the
    child (POST /recipes/{recipe_id}/rebase; --check: GET).

    A three-way merge of the parent at the old pin, the parent at the new version and the
    child: what only the child changed is kept, what only the parent changed is followed,
    and what both changed differently is a conflict that --ours, --theirs or
    --resolutions must settle. --check exits 1 while a conflict is unsettled.
    """
    from modelyard.ops import rebase as ops

    given = read_data(resolutions_file, "resolutions") if resolutions_file else None
    resolutions = ops.parse_resolutions(ours, theirs, given)
    reg = open_registry(ctx)
    if check:
        result = ops.plan_rebase(reg, recipe_id, to_version, resolutions)
        emit(result, as_json, rebase_text)
        if result.unresolved:
            ctx.exit(1)
        return
    result = ops.rebase_recipe(
        reg, recipe_id, to_version, resolutions, created_by=created_by, change_note=change_note
    )
    emit(result, as_json, rebase_text)
