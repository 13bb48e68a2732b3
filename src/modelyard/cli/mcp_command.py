"""`modelyard mcp`: the registry as a Model Context Protocol server for the user's agent."""

from __future__ import annotations

import click

from modelyard.cli.common import open_registry


@click.command("mcp")
@click.option(
    "--http",
    "use_http",
    is_flag=True,
    help="Serve streamable HTTP at http://HOST:PORT/mcp instead of stdin/stdout.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address for --http; loopback only (the server has no authentication).",
)
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port for --http.",
)
@click.pass_context
def mcp(ctx: click.Context, use_http: bool, host: str, port: int) -> None:
    """Serve the registry to MCP clients (Claude Desktop, VS Code, Cursor, ...).

    Read tools search, list, get, resolve, diff, trace history, validate and chat. Write
    tools (create and update runs, create versions, register models, change a model's
    status) commit each change to a new branch and return it; the checked-out branch and
    the working tree are never changed. See docs/mcp.md.
    """
    from modelyard.errors import GitError
    from modelyard.mcp.server import check_loopback, run

    reg = open_registry(ctx)
    if not reg.in_git:
        raise GitError(
            f"{reg.root} is not inside a git repository, so changes could not be branched",
            action="run `git init` there first, or serve a registry made by `modelyard init`",
        )
    if use_http:
        check_loopback(host)
        shown = f"[{host}]" if ":" in host else host
        click.echo(f"MCP server for {reg.root} at http://{shown}:{port}/mcp", err=True)
        run(reg.root, "http", host, port)
    else:
        run(reg.root, "stdio")
