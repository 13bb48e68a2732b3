"""Builds the demo registry by running modelyard's own commands, one commit each, with git
author and committer dates spread over the eight weeks before `end`."""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from modelyard.demo.story import Story


class Demo:
    """Runs `modelyard` commands in-process against one registry at chosen dates."""

    def __init__(self, folder: Path, end: datetime, echo: Callable[[str], Any] | None) -> None:
        self.folder = folder
        self.start = (end - timedelta(days=56)).replace(hour=9, minute=0, second=0, microsecond=0)
        self.echo = echo
        self.commits = 0
        self._files = Path(tempfile.mkdtemp(prefix="modelyard-demo-"))

    def at(self, day: float, hour: int = 9, minute: int = 0) -> None:
        when = self.start + timedelta(days=day, hours=hour - 9, minutes=minute)
        stamp = when.strftime("%Y-%m-%dT%H:%M:%S+00:00")
        os.environ["GIT_AUTHOR_DATE"] = stamp
        os.environ["GIT_COMMITTER_DATE"] = stamp

    def file(self, data: Any) -> str:
        path = self._files / f"{len(list(self._files.iterdir()))}.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        return str(path)

    def __call__(self, *args: str) -> Any:
        from modelyard.cli.main import cli

        argv = ["--registry", str(self.folder), *args]
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(
                args=[*argv, "--json"] if args[0] != "init" else argv,
                prog_name="modelyard",
                standalone_mode=False,
            )
        if code not in (None, 0):
            raise RuntimeError(f"modelyard {' '.join(args)} failed: {err.getvalue().strip()}")
        self.commits += 1
        if self.echo:
            self.echo(
                f"  {os.environ.get('GIT_AUTHOR_DATE', '')[:16]}  modelyard {' '.join(args[:3])}"
            )
        text = out.getvalue()
        return json.loads(text) if text.strip().startswith(("{", "[")) else text

    def close(self) -> None:
        for f in self._files.iterdir():
            f.unlink()
        self._files.rmdir()


def build_demo(
    folder: Path, echo: Callable[[str], Any] | None = None, end: datetime | None = None
) -> int:
    """Make `folder/registry/` (and a git repository when needed) and tell the demo's story.

    Returns the number of commits made.
    """
    from modelyard.ops.setup import init_registry

    saved = {k: os.environ.get(k) for k in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE")}
    end = end or datetime.now(UTC) - timedelta(days=1)
    demo = Demo(folder / "registry", end, echo)
    try:
        demo.at(0, 8, 30)
        init_registry(folder, "Northwind ML registry")
        demo.commits += 1
        Story(demo).tell()
    finally:
        demo.close()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return demo.commits
