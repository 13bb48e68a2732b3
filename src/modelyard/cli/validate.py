"""`modelyard validate`: check the registry, or a change to it, and fail once with every problem."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from modelyard.cli.common import open_registry


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--base",
    "base",
    metavar="REF",
    help="Compare with this git ref (e.g. origin/main): version bumps, fields that never change, "
    "status lifecycles, deletions. Only what changed and what depends on it is checked in depth.",
)
@click.option(
    "--upstream",
    is_flag=True,
    help="Compare with where this branch left its upstream (the merge base of HEAD and "
    "@{upstream}, else origin/HEAD, else HEAD): what a pull request would be checked against, "
    "before you commit (the pre-commit hook).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github", "sarif"]),
    default="text",
    show_default=True,
    help="text: grouped by file; json: the documented report; github: workflow annotations "
    "(at most 10 of each kind, most important first); sarif: SARIF 2.1.0 for code scanning.",
)
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option(
    "--summary",
    "summary",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Also write a Markdown summary (what changed per recipe, the problems) to FILE, "
    "e.g. $GITHUB_STEP_SUMMARY.",
)
@click.pass_context
def validate(
    ctx: click.Context,
    paths: tuple[Path, ...],
    base: str | None,
    upstream: bool,
    fmt: str,
    strict: bool,
    summary: Path | None,
) -> None:
    """Check registry files: schema, ids, references, lineage, run timestamps; with --base, the
    change against the base too. PATHS (files or folders) narrow the check to those files and
    what depends on them; files outside the registry are ignored.

    \b
    Examples:
      modelyard validate                        # the whole registry
      modelyard validate --base origin/main     # a change, as its pull request is checked
      modelyard validate --upstream --format github --summary "$GITHUB_STEP_SUMMARY"

    Exit status: 0 when no errors (warnings allowed unless --strict), 1 on problems, 2 on usage
    errors.
    """
    if upstream and base is not None:
        raise click.UsageError("give --base or --upstream, not both")
    if base is not None or upstream:
        from modelyard.storage.early import start_review

        # git's look at every tracked file runs while the checks are imported
        root = ctx.find_root().obj
        start_review(root.get("registry") if root else None, base, upstream)
    from modelyard.errors import InvalidValue
    from modelyard.validate import reporters, run

    reg = open_registry(ctx)
    if upstream:
        found = reg.git.upstream_base() if reg.in_git else None
        base = found[0] if found else None
    try:
        report = run(reg, [_absolute(p) for p in paths] if paths else None, base)
    except InvalidValue as exc:
        raise click.UsageError(str(exc)) from None
    if fmt == "json":
        click.echo(reporters.as_json(report, strict))
    elif fmt == "github":
        click.echo(reporters.github(report, strict))
    elif fmt == "sarif":
        click.echo(reporters.sarif(report, strict))
    else:
        color = sys.stdout.isatty()

        def style(text: str, **kw: object) -> str:
            return click.style(text, **kw) if color else text  # type: ignore[arg-type]

        click.echo(reporters.text(report, strict, style))
    if summary is not None:
        summary.parent.mkdir(parents=True, exist_ok=True)
        with summary.open("a", encoding="utf-8") as fh:
            fh.write(reporters.markdown(report, strict) + "\n")
    ctx.exit(0 if report.ok(strict) else 1)


def _absolute(path: Path) -> Path:
    """`path` made absolute without following a link at its end: a link in the registry is
    reported as one, never replaced by where it points."""
    full = path.absolute()
    return full.parent.resolve() / full.name
