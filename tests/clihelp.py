"""Running the CLI in-process for tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from modelyard.cli.main import cli


class Cli:
    def __init__(self, registry: Path) -> None:
        self.registry = registry
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, code: int = 0) -> Result:
        result = self.runner.invoke(cli, ["--registry", str(self.registry), *args], input=input)
        assert result.exit_code == code, (
            f"exit {result.exit_code} != {code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
        )
        return result

    def json(self, *args: str, input: str | None = None) -> Any:
        return json.loads(self(*args, "--json", input=input).stdout)

    def error(self, *args: str, input: str | None = None, code: int = 1) -> str:
        """The stderr of a failing command."""
        return self(*args, input=input, code=code).stderr


def write(path: Path, data: Any) -> str:
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)
