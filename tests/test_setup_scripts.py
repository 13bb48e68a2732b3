"""scripts/demo.sh and scripts/test.sh check for git and for Python's venv first, naming the
exact command that installs a missing one, and say what they are doing while they install."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON3 = str(Path(sys.base_prefix) / "bin" / "python3")  # the real one, not a venv's


def _bin(tmp_path: Path, *, git: bool, ensurepip: bool) -> dict[str, str]:
    """A PATH with python3 (and git if asked); python3 without ensurepip if asked, as Debian's
    is until python3-venv is installed."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path)}
    if ensurepip:
        (bin_dir / "python3").symlink_to(PYTHON3)
    else:
        fake = tmp_path / "no-ensurepip"
        fake.mkdir()
        (fake / "ensurepip.py").write_text("raise ImportError('No module named ensurepip')\n")
        (bin_dir / "python3").write_text(f'#!/bin/sh\nPYTHONPATH={fake} exec {PYTHON3} "$@"\n')
        (bin_dir / "python3").chmod(0o755)
    if git:
        (bin_dir / "git").symlink_to(shutil.which("git") or "/usr/bin/git")
    return env


def _check(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # in a folder with no .venv yet, as a fresh clone is
    folder = tmp_path / "clone"
    (folder / "scripts").mkdir(parents=True)
    shutil.copy2(ROOT / "scripts" / "setup-env.sh", folder / "scripts")
    return subprocess.run(
        ["/bin/bash", "-c", ". scripts/setup-env.sh && check_tools && echo checked"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _apt() -> str:
    return "apt-get install" if os.getuid() == 0 else "sudo apt-get install"


def test_a_missing_git_is_named_with_its_command(tmp_path: Path) -> None:
    done = _check(tmp_path, _bin(tmp_path, git=False, ensurepip=True))
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == f"error: git is not installed; on Debian or Ubuntu: {_apt()} git\n"


def test_a_python_without_venv_is_named_with_its_command(tmp_path: Path) -> None:
    done = _check(tmp_path, _bin(tmp_path, git=True, ensurepip=False))
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == (
        "error: python3 cannot make a virtual environment; "
        f"on Debian or Ubuntu: {_apt()} python3-venv\n"
    )


def test_all_there_passes_the_check(tmp_path: Path) -> None:
    done = _check(tmp_path, _bin(tmp_path, git=True, ensurepip=True))
    assert (done.returncode, done.stdout, done.stderr) == (0, "checked\n", "")


def test_both_scripts_check_first_and_say_what_they_install() -> None:
    for name in ("demo.sh", "test.sh"):
        text = (ROOT / "scripts" / name).read_text()
        assert ". scripts/setup-env.sh" in text
        assert "pip install -q" not in text  # no silent install
        first = min(text.find(word) for word in ("\ncheck_tools", "\nsetup_env") if word in text)
        # the tools are checked before anything is installed (test.sh's chromium included)
        assert "apt-get" not in text or first < text.index("apt-get"), name
        assert first < text.index("git clone") if "git clone" in text else True
    setup = (ROOT / "scripts" / "setup-env.sh").read_text()
    assert "== installing modelyard" in setup and "fetching" in setup
