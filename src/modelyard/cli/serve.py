"""`modelyard serve`: the ML development HTTP API and the catalog, over the registry."""

from __future__ import annotations

import errno
import socket
from pathlib import Path

import click

from modelyard.cli.common import open_registry
from modelyard.cli.options import choice
from modelyard.domain.records import AckMode


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Anything but loopback needs write tokens or --insecure.",
)
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port to listen on.",
)
@click.option(
    "--tokens-file",
    type=click.Path(dir_okay=False),
    help="File of write tokens, one per line, outside the registry's repository "
    "(also $MODELYARD_TOKENS_FILE; $MODELYARD_TOKENS holds comma-separated tokens).",
)
@click.option(
    "--insecure",
    is_flag=True,
    help="Allow listening on a non-loopback address without write tokens.",
)
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    help="Allow browser requests from this origin "
    "(repeatable; also $MODELYARD_CORS_ORIGINS). Default: none.",
)
@click.option(
    "--max-body-bytes",
    type=int,
    default=None,
    help="Largest request body accepted (default 1 MiB; also $MODELYARD_MAX_BODY_BYTES).",
)
@click.option(
    "--site-dir",
    type=click.Path(file_okay=False),
    help="Where to build the catalog. Default: .git/modelyard/site of the registry's repository.",
)
@click.option(
    "--worktree",
    is_flag=True,
    help="Read the working tree, uncommitted edits included, instead of the committed state "
    "(slower on a large registry; for previewing edits in your own clone).",
)
@click.option(
    "--remote",
    "remote",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[NAME]",
    help="Be the team's gateway to this git remote (default: `remote: name:` in the "
    "settings, else origin): fetch what others push, push every write (docs/team.md). "
    "A `remote:` section in the settings makes the server a gateway without it.",
)
@click.option(
    "--no-remote",
    is_flag=True,
    help="Commit in this clone only, even when the settings have a `remote:` section.",
)
@click.option(
    "--branch",
    "remote_branch",
    default=None,
    metavar="BRANCH",
    help="With a remote: its branch to follow and push to (default: `remote: branch:`, "
    "else the branch's upstream, else the same name; also $MODELYARD_REMOTE_BRANCH).",
)
@click.option(
    "--ack",
    type=choice(AckMode),
    default=None,
    help="With a remote: answer a write once the push holding it succeeded (remote, the "
    "default), or once it is committed in this clone (local: faster, a weaker promise; "
    "also $MODELYARD_ACK).",
)
@click.option(
    "--batch-interval",
    type=click.FloatRange(min=0.05),
    default=None,
    metavar="SECONDS",
    help="With a remote: the least time between two pushes; every write in between goes "
    "in the next push (default: `remote: batch_interval:`, else 10; also "
    "$MODELYARD_BATCH_INTERVAL).",
)
@click.option(
    "--push-budget",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="With a remote: at most N push attempts a minute, whatever the write rate "
    "(default: `remote: push_budget:`, else 6; also $MODELYARD_PUSH_BUDGET).",
)
@click.option(
    "--fetch-interval",
    type=click.FloatRange(min=0.05),
    default=None,
    metavar="SECONDS",
    help="With a remote: how often to fetch when no write waits (default: the batching interval).",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    help="How much the server logs (requests are logged at info).",
)
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    tokens_file: str | None,
    insecure: bool,
    cors_origins: tuple[str, ...],
    max_body_bytes: int | None,
    site_dir: str | None,
    worktree: bool,
    remote: str | None,
    no_remote: bool,
    remote_branch: str | None,
    ack: str | None,
    batch_interval: float | None,
    push_budget: int | None,
    fetch_interval: float | None,
    log_level: str,
) -> None:
    """Serve the ML development HTTP API at /api/ml-development, the catalog at
    /model-development/ and the API documentation at /docs.

    Reads are open; writes are commits, one at a time, under the same lock the CLI takes.

    \b
    Examples:
      modelyard serve                          # http://127.0.0.1:8000/, the committed state
      modelyard serve --port 8080 --worktree   # preview uncommitted edits in your clone
      modelyard serve --host 0.0.0.0 --tokens-file ~/.modelyard-tokens
    """
    import uvicorn

    from modelyard.errors import GitError, InvalidValue
    from modelyard.server.app import create_app
    from modelyard.server.settings import (
        ServerSettings,
        check_exposure,
        cors_from_env,
        load_tokens,
        max_body_from_env,
    )

    reg = open_registry(ctx)
    if not reg.in_git:
        raise GitError(
            f"{reg.root} is not inside a git repository, so writes could not be committed",
            action="run `git init` there first, or serve a registry made by `modelyard init`",
        )
    gateway = None
    wanted = remote is not None or (reg.settings.remote is not None and not worktree)
    if wanted and not no_remote:
        from modelyard.server.gateway_config import GatewayOptions, gateway_settings

        if worktree:
            raise InvalidValue(
                "--remote serves the committed state; it cannot be combined with --worktree"
            )
        gateway = gateway_settings(
            reg,
            GatewayOptions(
                remote=remote or None,
                branch=remote_branch,
                ack=ack,
                batch_interval=batch_interval,
                push_budget=push_budget,
                fetch_interval=fetch_interval,
            ),
        )
    settings = ServerSettings(
        tokens=load_tokens(tokens_file, reg.worktree),
        cors_origins=cors_from_env(cors_origins),
        max_body_bytes=max_body_from_env(max_body_bytes),
        site_dir=Path(site_dir).resolve() if site_dir else None,
        worktree=worktree,
        gateway=gateway,
    )
    check_exposure(host, settings, insecure)
    _check_port(host, port)
    app = create_app(reg, settings)
    shown = f"[{host}]" if ":" in host else host
    writes = (
        "writes need a token"
        if settings.auth_required
        else "no tokens: anyone who can connect may write"
    )
    click.echo(f"Serving {reg.root} at http://{shown}:{port}/; {writes}", err=True)
    click.echo("  API /api/ml-development   docs /docs   catalog /model-development/", err=True)
    if gateway is not None:
        click.echo(
            f"  gateway to {gateway.remote}/{gateway.branch}: ack {gateway.ack}, "
            f"a push at most every {gateway.slot:g} s",
            err=True,
        )
    if gateway is not None:
        import logging

        # the gateway says what it pushed, dropped and recovered in the server's log
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger = logging.getLogger("modelyard.gateway")
        logger.addHandler(handler)
        logger.setLevel(log_level.upper())
        logger.propagate = False
    uvicorn.run(app, host=host, port=port, log_level=log_level, server_header=False)


def _check_port(host: str, port: int) -> None:
    """Refuse, in one line, an address the server could not listen on (a port in use, a
    privileged port), before saying it serves there."""
    from modelyard.errors import ModelyardError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise click.BadParameter(f"{host!r}: {exc.strerror}", param_hint="--host") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # as uvicorn binds: a port left in TIME_WAIT by a server that just stopped is free
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            shown = f"[{host}]" if ":" in host else host
            if exc.errno == errno.EADDRINUSE:
                raise ModelyardError(
                    f"{shown}:{port} is in use by another program; "
                    f"choose another port: modelyard serve --port {port + 1}"
                ) from None
            raise ModelyardError(
                f"cannot listen on {shown}:{port}: {exc.strerror or exc}"
            ) from None
