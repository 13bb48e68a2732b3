"""docs/api.md documents every operation of the OpenAPI document and every option of
`modelyard serve`, so neither can drift from the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from modelyard.cli.serve import serve
from modelyard.ops import setup
from modelyard.server.app import PREFIX, create_app

DOC = (Path(__file__).resolve().parents[1] / "docs" / "api.md").read_text(encoding="utf-8")


def operations(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str]]:
    reg = setup.init_registry(tmp_path_factory.mktemp("docs"))
    doc = create_app(reg).openapi()
    return [
        (method.upper(), path.removeprefix(PREFIX))
        for path, item in doc["paths"].items()
        for method in item
    ]


def test_every_operation_is_documented(tmp_path_factory: pytest.TempPathFactory) -> None:
    ops = operations(tmp_path_factory)
    # the seed's 23, gates' history and rollback (#13), the rebase's plan and apply (#17)
    assert len(ops) == 28
    missing = [f"{m} {p}" for m, p in ops if not re.search(rf"`{m} {re.escape(p)}`", DOC)]
    assert not missing, f"docs/api.md does not document: {missing}"


def test_every_serve_option_is_documented() -> None:
    for param in serve.params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("--") and opt != "--help":
                assert f"`{opt}" in DOC, f"docs/api.md does not mention {opt}"
