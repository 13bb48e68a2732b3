"""`modelyard site build` and `modelyard site serve`: the static catalog."""

from __future__ import annotations

import errno
import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from modelyard.cli.common import open_registry


class _Progress:
    """Progress on stderr, only on a terminal: a line as each phase starts (reading the
    registry, what it holds) and a bar with counts while rendering, from its first job."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.bar: Any = None
        self.shown = 0

    def __call__(self, done: int, total: int, phase: str = "rendering") -> None:
        if not sys.stderr.isatty():
            return
        if phase != "rendering":
            label = "Reading the registry…" if phase == "reading" else phase.capitalize()
            click.echo(f"{label} ({time.monotonic() - self.started:.1f} s)", err=True)
            return
        if self.bar is None:
            self.bar = click.progressbar(
                length=total, label=f"Rendering {total} jobs", file=sys.stderr, show_pos=True
            )
            self.bar.__enter__()
        self.bar.update(done - self.shown)
        self.shown = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


def _build(
    ctx: click.Context, out: str, base_url: str, full: bool, run_pages: bool | None = None
) -> Any:
    from modelyard.site.build import build_site

    reg = open_registry(ctx)
    progress = _Progress()
    try:
        return build_site(
            reg,
            Path(out),
            base_url=base_url,
            incremental=not full,
            progress=progress,
            run_pages=run_pages,
        )
    finally:
        progress.close()


@click.group()
def site() -> None:
    """Build the static catalog (HTML pages and JSON mirrors) and preview it."""


@site.command("build")
@click.option(
    "--out",
    default="site",
    show_default=True,
    type=click.Path(file_okay=False),
    help="The folder to write the catalog to.",
)
@click.option(
    "--base-url",
    default="",
    help="Where the catalog will be published, e.g. "
    "https://org.github.io/repo (used for canonical links; pages link relatively either way).",
)
@click.option("--full", is_flag=True, help="Render every page again instead of only what changed.")
@click.option(
    "--run-pages/--no-run-pages",
    default=None,
    help="A page and a JSON mirror for every run. Default: only for a registry of at most "
    "2,000 runs and snapshots; above, runs are shown from the catalog's data files.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the build report as JSON.")
@click.pass_context
def build(
    ctx: click.Context,
    out: str,
    base_url: str,
    full: bool,
    run_pages: bool | None,
    as_json: bool,
) -> None:
    """Render the registry into OUT/model-development/ and OUT/api/ml-development/."""
    report = _build(ctx, out, base_url, full, run_pages)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "out": str(report.out),
                    "files": report.files,
                    "written": len(report.written),
                    "unchanged": report.unchanged,
                    "removed": len(report.removed),
                    "seconds": round(report.seconds, 3),
                    "workers": report.workers,
                    "changes_only": report.changes_only,
                    "rendered": report.rendered,
                    "problems": report.problems,
                },
                indent=2,
            )
        )
        return
    for problem in report.problems:
        click.secho(f"Warning: {problem}", fg="yellow", err=True)
    click.echo(f"Built {report.summary()}")
    click.echo(f"Open {report.out / 'model-development' / 'index.html'}")


@site.command("serve")
@click.option(
    "--out",
    default="site",
    show_default=True,
    type=click.Path(file_okay=False),
    help="The built catalog folder.",
)
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port on 127.0.0.1 (0: any free port).",
)
@click.option(
    "--build/--no-build",
    "rebuild",
    default=True,
    show_default=True,
    help="Bring the catalog up to date before serving it.",
)
@click.pass_context
def serve(ctx: click.Context, out: str, port: int, rebuild: bool) -> None:
    """Preview the built catalog on http://127.0.0.1:PORT/ (local only; Ctrl-C stops)."""
    import functools
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    folder = Path(out)
    if rebuild:
        click.echo(f"Built {_build(ctx, out, '', False).summary()}")
    if not (folder / "model-development" / "index.html").is_file():
        raise click.ClickException(
            f"no catalog in {folder}; build it first: modelyard site build --out {out}"
        )

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(folder.resolve()))
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise click.ClickException(
            f"127.0.0.1:{port} is in use by another program; "
            f"choose another port: modelyard site serve --port {port + 1}"
        ) from None
    with server:
        click.echo(
            f"Serving {folder} at http://127.0.0.1:{server.server_address[1]}/model-development/ "
            "(Ctrl-C to stop)"
        )
        sys.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            click.echo("Stopped.")
