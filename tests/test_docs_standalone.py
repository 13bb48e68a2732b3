"""The documentation stands alone: every relative link points at a file of the project,
no page names a file outside it or calls the API anything but what it is, and every
`modelyard` command that docs/start.md shows parses."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from modelyard.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\((?P<target>[^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_links_stay_inside_the_project(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for m in LINK.finditer(text):
        target = m.group("target")
        if re.match(r"[a-z]+:", target):
            continue  # a web address
        resolved = (page.parent / target).resolve()
        assert resolved.is_relative_to(ROOT), f"{page.name}: {target} is outside the project"
        assert resolved.exists(), f"{page.name}: {target} does not exist"


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_no_page_names_what_is_not_in_the_project(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for word in ("DESIGN.md", "seed API", "the seed's", "seed endpoint", "/work/"):
        assert word not in text, f"{page.name} mentions {word!r}"


def _commands(text: str) -> list[str]:
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        pending = ""
        for raw in block.splitlines():
            pending += raw.rstrip()
            if pending.endswith("\\"):
                pending = pending[:-1] + " "
                continue
            words = shlex.split(pending, comments=True)
            if words[:1] == ["modelyard"]:
                lines.append(words)
            pending = ""
    # and the ones in running text: `modelyard validate --base origin/main`
    lines += [shlex.split(span) for span in re.findall(r"`(modelyard [^`]+)`", text)]
    return lines


def test_the_start_pages_commands_parse() -> None:
    found = _commands((ROOT / "docs" / "start.md").read_text(encoding="utf-8"))
    assert len(found) >= 5
    for words in found:
        command: click.Command = cli
        ctx = click.Context(cli, info_name="modelyard")
        rest = words[1:]
        while isinstance(command, click.Group):
            name, *rest = rest
            sub = command.get_command(ctx, name)
            assert sub is not None, words
            command, ctx = sub, click.Context(sub, info_name=name, parent=ctx)
        command.make_context(command.name or "", rest, parent=ctx.parent)
