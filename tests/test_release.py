"""A release people can install: `python -m build` makes the sdist and the wheel from the
project's files, `twine check` passes them, the version is the package's one `__version__`,
the templates and the team files ship inside, and the wheel installed alone in a new
virtual environment runs the README's tour as written (init, create, validate, site build,
serve, chat) in a new folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

import modelyard
from tour import run_tour, tour_lines

ROOT = Path(__file__).resolve().parents[1]


def _source(target: Path) -> Path:
    """The project's files as a clone has them (tracked, and new ones not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        src = ROOT / rel
        if src.is_file() and not src.is_symlink():
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target / rel)
    return target


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = _source(tmp_path_factory.mktemp("source"))
    out = tmp_path_factory.mktemp("dist")
    # --no-isolation: the test environment's setuptools builds it, so no index is asked
    built = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return out


@pytest.mark.slow
def test_the_sdist_and_wheel_build_and_pass_twine(dist: Path) -> None:
    version = modelyard.__version__
    wheel = dist / f"modelyard-{version}-py3-none-any.whl"
    sdist = dist / f"modelyard-{version}.tar.gz"
    assert sorted(p.name for p in dist.iterdir()) == [wheel.name, sdist.name]
    checked = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for shipped in (
        "modelyard/templates/base.html",
        "modelyard/scaffold/workflow.yml",
        "modelyard/scaffold/pricing.yaml",
        "modelyard/py.typed",
    ):
        assert shipped in names, shipped
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(f"modelyard-{version}.dist-info/METADATA").decode()
    assert f"\nVersion: {version}\n" in metadata
    with tarfile.open(sdist) as archive:
        members = archive.getnames()
    assert f"modelyard-{version}/templates/base.html" in members
    assert f"modelyard-{version}/src/modelyard/scaffold/workflow.yml" in members


@pytest.mark.slow
def test_the_wheel_installed_alone_runs_the_readme_tour(dist: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    # no pip of its own: the test environment's pip installs into it (--python), faster
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    # modelyard's dependencies come from the test environment (behind the new venv's own
    # packages), so only the wheel itself is installed; a path line in a .pth file runs none
    # of that environment's .pth files, so its editable modelyard stays out of sight
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(purelib) / "_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    [wheel] = dist.glob("*.whl")
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            str(wheel),
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    env["PATH"] = f"{venv / 'bin'}:{env['PATH']}"
    where = subprocess.run(
        ["modelyard", "--version"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert where.stdout.strip() == f"modelyard, version {modelyard.__version__}"
    found = subprocess.run(
        [str(python), "-c", "import modelyard; print(modelyard.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    ).stdout.strip()
    assert Path(found).is_relative_to(venv), found  # the wheel's, not this checkout's
    folder = tmp_path / "tour"
    folder.mkdir()
    out = run_tour(folder, env)
    registry = folder / "my-registry"
    assert (registry / ".github" / "workflows" / "modelyard.yml").is_file()
    assert "ok: 0 errors" in out["modelyard validate"]
    assert (registry / "site" / "model-development" / "index.html").is_file()
    served = out["modelyard serve"]
    assert "recipe_pricing_baseline" in served and "recipe_retail_pricing_v1" in served
    assert out[tour_lines()[-1]].strip()  # the assistant answered


@pytest.mark.slow
@pytest.mark.parametrize(
    ("ref", "wants"),
    [("v" + modelyard.__version__, "modelyard-" + modelyard.__version__), ("v9.9.9", None)],
)
def test_the_action_at_a_tag_installs_that_release(
    dist: Path, tmp_path: Path, ref: str, wants: str | None
) -> None:
    """action.yml's install step, run as written with pip (a dry run, from the built files
    only): at tag vX.Y.Z it asks for modelyard==X.Y.Z, and a tag with no release fails."""
    from modelyard.storage import yamlio

    action = yamlio.load((ROOT / "action.yml").read_text()).data
    [script] = [s["run"] for s in action["runs"]["steps"] if s.get("name") == "Install modelyard"]
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "PACKAGE": "",
        "ACTION_REF": ref,
        "ACTION_PATH": str(ROOT),
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(dist),
        "PIP_DRY_RUN": "1",
        "PIP_NO_DEPS": "1",
        "PIP_IGNORE_INSTALLED": "1",
    }
    done = subprocess.run(
        ["bash", "-e", "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert f"Installing modelyard=={ref[1:]}" in done.stdout
    if wants is None:
        assert done.returncode != 0
        assert "No matching distribution found for modelyard==9.9.9" in done.stderr
    else:
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"Would install {wants}" in done.stdout
