"""`modelyard sync`, and `--push` for every command that commits."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from modelyard.cli.common import json_option, open_registry

if TYPE_CHECKING:
    from modelyard.ops.sync import ConflictOut, SyncResult
    from modelyard.storage.registry import Registry

DIFF_LINES = 40  # of each side of a conflicting file, in the text report


def _progress(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()


def _diff(before: str | None, after: str | None, label: str) -> list[str]:
    import difflib  # only for a conflict's report

    lines = list(
        difflib.unified_diff(
            (before or "").splitlines(),
            (after or "").splitlines(),
            "base",
            label,
            lineterm="",
            n=1,
        )
    )[2:]
    if after is None:
        lines = ["(file deleted)"]
    if len(lines) > DIFF_LINES:
        lines = [*lines[:DIFF_LINES], f"... {len(lines) - DIFF_LINES} more lines"]
    return lines


def conflict_text(c: ConflictOut) -> str:
    out = [f"not pushed: {c.commit[:12]} {c.author}: {c.subject}"]
    for problem in c.problems:
        out.append(f"  refused on the new base: {problem}")
    for f in c.files:
        out.append(f"  {f.path} changed on both sides")
        out.append(f"    ours ({'; '.join(f.ours.commits)}):")
        out += [f"      {line}" for line in _diff(f.base, f.ours.text, "ours")]
        out.append(f"    theirs ({'; '.join(f.theirs.commits) or 'upstream'}):")
        out += [f"      {line}" for line in _diff(f.base, f.theirs.text, "theirs")]
    ref = (c.ref or c.commit).removeprefix("refs/heads/")
    out.append(f"  kept on {ref}: `git show {ref}` shows it;")
    out.append(
        f"  to redo it on top of upstream: `git cherry-pick {ref}`, settle the files, "
        "`modelyard validate`, then `modelyard sync`; once done: `git branch -D " + ref + "`"
    )
    return "\n".join(out)


def result_text(result: SyncResult) -> str:
    parts = [conflict_text(c) for c in result.conflicts]
    return "\n".join([*parts, result.message])


def run_sync(reg: Registry, as_json: bool = False, push: bool = True, **flags: Any) -> SyncResult:
    """Sync and print the outcome (text: its line last; json: the result)."""
    from modelyard.ops import sync as ops

    config = ops.remote_config(reg.settings, **flags)
    result = ops.sync(reg, config, push=push, progress=_progress, interactive=sys.stdin.isatty())
    if as_json:
        click.echo(json.dumps(result.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        click.echo(result_text(result))
    return result


@click.command("sync")
@click.option("--remote", help="The git remote. Default: remote.name in modelyard.yaml, origin.")
@click.option("--branch", help="The remote's branch. Default: the current branch's upstream.")
@click.option("--tries", type=int, help="At most this many pushes (remote.retry_tries).")
@click.option("--timeout", type=float, help="... in at most this many seconds (retry_seconds).")
@click.option(
    "--no-push", is_flag=True, help="Fetch and replay local commits onto upstream, push nothing."
)
@json_option
@click.pass_context
def sync(
    ctx: click.Context,
    remote: str | None,
    branch: str | None,
    tries: int | None,
    timeout: float | None,
    no_push: bool,
    as_json: bool,
) -> None:
    """Fetch, replay this clone's commits onto the upstream branch, push.

    Runs and snapshots never conflict. A local commit whose files upstream changed too is not
    pushed: it is shown with both sides and kept on a branch modelyard/conflicts/<time>-<sha>,
    and the working tree is left at upstream plus the other local commits (exit code 1).
    A push that loses the race to another writer is retried with a jittered pause."""
    reg = open_registry(ctx)
    result = run_sync(
        reg,
        as_json,
        push=not no_push,
        name=remote,
        branch=branch,
        retry_tries=tries,
        retry_seconds=timeout,
    )
    if result.conflicts:
        ctx.exit(1)


def push_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """`--push/--no-push` on a command that commits: after it, `modelyard sync` (the
    settings' `remote.push: always` makes --push the default). The command's own output is
    unchanged on stdout; the sync's line goes to stderr."""

    @click.option(
        "--push/--no-push",
        "push",
        default=None,
        help="Then sync with the remote (default: remote.push in modelyard.yaml, $MODELYARD_PUSH).",
    )
    @functools.wraps(func)
    def wrapper(*args: Any, push: bool | None, **kwargs: Any) -> Any:
        value = func(*args, **kwargs)
        ctx = click.get_current_context()
        from modelyard.domain.records import PushPolicy
        from modelyard.ops import sync as ops

        reg = open_registry(ctx)
        config = ops.remote_config(reg.settings)
        if push is None:
            push = config.push == PushPolicy.always
        if push:
            from modelyard.errors import ModelyardError

            try:
                result = ops.sync(reg, config, progress=_progress, interactive=sys.stdin.isatty())
            except ModelyardError as exc:  # the command's commit is made: say it is kept
                exc.message = f"committed here, but not pushed: {exc.message}"
                raise
            for c in result.conflicts:
                click.echo(conflict_text(c), err=True)
            click.echo(result.message, err=True)
            if result.conflicts:
                ctx.exit(1)
        return value

    return wrapper
