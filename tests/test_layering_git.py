"""Only storage speaks git and sqlite: every other layer asks storage's named methods
(`Git.head()`, `Git.changed_since(base)`, ...), so no module above it builds a git
command line, parses git's output or opens the cache's database."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "modelyard"
# its cache reads move into storage with the storage read API being built alongside (#10)
SQLITE_PENDING: set[str] = set()


def modules_above_storage() -> list[tuple[str, ast.Module]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if not rel.startswith("storage/"):
            out.append((rel, ast.parse(path.read_text(encoding="utf-8"))))
    return out


def test_no_module_above_storage_runs_git_itself():
    found = []
    for rel, tree in modules_above_storage():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("run", "out")
                and (
                    (isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "git")
                    or (isinstance(node.func.value, ast.Name) and node.func.value.id == "git")
                )
            ):
                found.append(f"{rel}:{node.lineno}")
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                if "subprocess" in names:
                    found.append(f"{rel}:{node.lineno} imports subprocess")
    assert found == []


def test_no_module_above_storage_imports_sqlite():
    found = set()
    for rel, tree in modules_above_storage():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                if "sqlite3" in names:
                    found.add(rel)
    assert found <= SQLITE_PENDING, found - SQLITE_PENDING
