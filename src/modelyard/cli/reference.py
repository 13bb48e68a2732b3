"""Renders docs/cli.md from the commands themselves, so the reference cannot drift.

python -m modelyard.cli.reference > docs/cli.md
"""

from __future__ import annotations

import click

from modelyard.cli.main import cli

HEADER = """# Command reference

Generated from the commands' own help by `python -m modelyard.cli.reference > docs/cli.md`;
a test fails when it is out of date.

Every command takes the global options before the command name (`modelyard --registry
PATH recipes list`). Errors print one line on stderr naming what and where and exit 1;
usage errors print one line and exit 2. `--json` prints exactly the HTTP API's response
body (the ML development API that `modelyard serve` serves), and on an error its error body.

## Shell completion

Commands, options, enum values, recipe, model and run ids, and a recipe's versions complete in
bash, zsh and fish:

```bash
eval "$(_MODELYARD_COMPLETE=bash_source modelyard)"   # in ~/.bashrc
eval "$(_MODELYARD_COMPLETE=zsh_source modelyard)"    # in ~/.zshrc
_MODELYARD_COMPLETE=fish_source modelyard | source    # in ~/.config/fish/completions/modelyard.fish
```
"""


def walk(command: click.Command, ctx: click.Context) -> list[click.Context]:
    out = [ctx]
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                out.extend(walk(sub, _context(sub, name, ctx)))
    return out


def _context(command: click.Command, name: str, parent: click.Context | None) -> click.Context:
    # make_context applies the command's context_settings (such as -h), as a real call does
    return command.make_context(
        name, [], parent=parent, resilient_parsing=True, terminal_width=100, max_content_width=100
    )


def render_reference() -> str:
    parts = [HEADER]
    for ctx in walk(cli, _context(cli, "modelyard", None)):
        parts.append(
            f"## `{ctx.command_path}`\n\n```text\n{ctx.command.get_help(ctx).rstrip()}\n```\n"
        )
    return "\n".join(parts)


if __name__ == "__main__":  # pragma: no cover
    click.echo(render_reference(), nl=False)
