"""What a malicious or careless pull request can merge into a registry, run through every
front end: `modelyard validate`, `modelyard site build`, the served API and catalog, and the
chat. Each file is reported as a clear error naming it (never a traceback, never the
server's folders), in bounded time and memory, and nothing from outside the repository is
read or published."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import git
from modelyard.chat.assistant import answer
from modelyard.ops import models, runs
from modelyard.server.app import create_app
from modelyard.storage.registry import Registry

pytestmark = pytest.mark.slow

SECRET = "hostile-secret-7f3a"
MEMORY = 1024 * 1024 * 1024  # address space each command may use: 1 GiB
SCRIPT = "<script>alert(1)</script>"


@dataclass(frozen=True)
class Case:
    name: str
    file: str  # the file the reports must name, relative to the repository
    make: Callable[[Path, Path], None]  # (registry folder, folder outside the repository)


def write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)


MODEL = "registry/models/model_evil/model.yaml"
RECIPE = "registry/recipes/recipe_evil/manifest.yaml"


def model_yaml(extra: str = "") -> str:
    return (
        "id: model_evil\nname: Evil\nmodel_family: pricing\nrecipe_id: recipe_pricing_base\n"
        "recipe_version_id: ver_pricing_base_v1.0.0\nstatus: draft\nowner: x\n"
        "created_at: '2026-01-01T00:00:00Z'\nupdated_at: '2026-01-01T00:00:00Z'\n" + extra
    )


def alias_bomb(root: Path, outside: Path) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    write(root / "models/model_evil/model.yaml", model_yaml("\n".join(lines) + "\n"))


def unsafe_tag(root: Path, outside: Path) -> None:
    bad = f"description: !!python/object/apply:os.system ['echo {SECRET} > {outside}/pwned']\n"
    write(root / "models/model_evil/model.yaml", model_yaml(bad))


def huge(root: Path, outside: Path) -> None:
    write(root / "models/model_evil/model.yaml", model_yaml(f"description: '{'x' * 5_000_000}'\n"))


def deep(root: Path, outside: Path) -> None:
    write(root / "models/model_evil/model.yaml", model_yaml(f"tags: {'[' * 5000}{']' * 5000}\n"))


def bad_utf8(root: Path, outside: Path) -> None:
    data = model_yaml().encode() + b"description: \xff\xfe\x80\n"
    write(root / "models/model_evil/model.yaml", data)


def linked_out(root: Path, outside: Path) -> None:
    (root / "models/model_evil").mkdir(parents=True)
    (root / "models/model_evil/model.yaml").symlink_to(outside / "model.yaml")


def cycle(root: Path, outside: Path) -> None:
    for me, parent in (("evil", "evil_two"), ("evil_two", "evil")):
        write(
            root / f"recipes/recipe_{me}/recipe.yaml",
            f"id: recipe_{me}\nname: {me}\nmodel_family: pricing\nlevel: industry\n"
            f"status: draft\nparent_id: recipe_{parent}\ntags: []\n"
            "created_at: '2026-01-01T00:00:00Z'\nupdated_at: '2026-01-01T00:00:00Z'\n",
        )
        write(
            root / f"recipes/recipe_{me}/manifest.yaml",
            f"version: 1.0.0\nextends:\n  recipe: recipe_{parent}\n  version: 1.0.0\n"
            "manifest: {}\n",
        )


def binary_settings(root: Path, outside: Path) -> None:
    write(root / "modelyard.yaml", b"\x00\x01\x02" * 1000)


CASES = [
    Case("alias bomb", MODEL, alias_bomb),
    Case("unsafe tag", MODEL, unsafe_tag),
    Case("huge file", MODEL, huge),
    Case("nested 5,000 deep", MODEL, deep),
    Case("invalid UTF-8", MODEL, bad_utf8),
    Case("link out of the repository", MODEL, linked_out),
    Case("inheritance cycle", RECIPE, cycle),
    Case("binary settings file", "registry/modelyard.yaml", binary_settings),
]


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    write(folder / "model.yaml", model_yaml(f"description: {SECRET}\n"))
    return folder


@pytest.fixture
def merged(reg: Registry, base_recipe: str) -> Registry:
    """A registry with a model and a run, as the pull request found it."""
    model = models.register_model(
        reg, {"name": "Fine", "recipe_id": base_recipe, "recipe_version_id": "1.0.0", "owner": "t"}
    )
    runs.create_run(
        reg,
        {"recipe_id": base_recipe, "recipe_version_id": "1.0.0", "run_type": "train",
         "model_id": model.id},
    )  # fmt: skip
    return reg


def limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def modelyard(reg: Registry, *args: str) -> subprocess.CompletedProcess[str]:
    """A real `modelyard` process, held to 1 GiB and 120 s."""
    return subprocess.run(
        [sys.executable, "-m", "modelyard", "--registry", str(reg.root), *args],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limited,
        env={**os.environ, "MODELYARD_VALIDATE_WORKERS": "1"},
    )


def no_leak(text: str, reg: Registry, outside: Path) -> None:
    assert "Traceback" not in text, text[-2000:]
    assert SECRET not in text
    assert str(outside) not in text
    assert str(reg.worktree) + "/.git" not in text


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_hostile_file_is_a_clear_error_in_every_front_end(merged, outside, tmp_path, case):
    reg = merged
    case.make(reg.root, outside)
    git(reg.worktree, "add", "-A")
    git(reg.worktree, "commit", "-qm", f"Merge pull request #66 {SCRIPT}")

    checked = modelyard(reg, "validate")
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert case.file in checked.stdout + checked.stderr
    no_leak(checked.stdout + checked.stderr, reg, outside)

    built = modelyard(reg, "site", "build", "--out", str(tmp_path / "site"))
    said = built.stdout + built.stderr
    no_leak(said, reg, outside)
    if built.returncode != 0:
        assert built.returncode == 1 and case.file in said, said
    published = [p for p in (tmp_path / "site").rglob("*") if p.is_file()]
    assert not [p for p in published if SECRET in p.read_text(errors="replace")]

    with TestClient(create_app(reg), raise_server_exceptions=False) as client:
        for path in (
            "/api/ml-development/recipes",
            "/api/ml-development/models",
            "/api/ml-development/models/model_evil",
            "/api/ml-development/recipes/recipe_evil",
            "/api/ml-development/runs",
            "/model-development/",
        ):
            r = client.get(path)
            no_leak(r.text, reg, outside)
            if r.status_code >= 500:
                # a registry file that cannot be read is the server's problem, named
                assert case.file.removeprefix("registry/") in r.text, (path, r.text[:500])
        r = client.post("/api/ml-development/chat", json={"message": "which models are there?"})
        no_leak(r.text, reg, outside)
        assert r.status_code in (200, 500), r.text[:500]
        if r.status_code == 500:
            assert case.file.removeprefix("registry/") in r.text
    assert not (outside / "pwned").exists()


def test_script_in_commit_messages_and_authors_is_text_everywhere(merged, tmp_path) -> None:
    reg = merged
    models.update_model(
        reg, "model_fine", {"description": SCRIPT, "updated_by": f"{SCRIPT} <x@example.com>"}
    )
    built = modelyard(reg, "site", "build", "--out", str(tmp_path / "site"))
    assert built.returncode == 0, built.stderr
    for page in (tmp_path / "site").rglob("*.html"):
        assert SCRIPT not in page.read_text(), page
    # the chat answers plain text (its page renders it as text): the description is quoted
    reply = answer(reg, {"message": "tell me about model_fine"})
    assert "model_fine" in reply.reply
