"""What a pull request can put in a registry must never reach outside it: symbolic links are
never followed (validate reports them, reads refuse them, nothing of their targets is
published), ids are matched whole, oversized files are refused by name, and a commit whose
index update fails is undone rather than reported as done."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import git, manifest
from modelyard.domain.limits import MAX_FILE_BYTES, MAX_LOG_BYTES
from modelyard.errors import IndexBusy, UnsafePath
from modelyard.ops import models, monitoring, recipes, runs
from modelyard.server.app import create_app
from modelyard.storage import indexsync
from modelyard.storage.registry import Registry
from server_support import API, running_server
from test_validate_cli import cli

SRC = Path(__file__).resolve().parents[1] / "src"
SECRET = "ghp_SECRETVALUE123"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the repository holding what an attacker would like published: a secret
    file, and a folder that looks like a model whose id is the secret."""
    folder = tmp_path / "outside"
    (folder / "model").mkdir(parents=True)
    (folder / "secret.txt").write_text(f"token={SECRET}\n")
    (folder / "model" / "model.yaml").write_text(
        f"id: {SECRET}\nname: {SECRET}\nmodel_family: pricing\nrecipe_id: recipe_pricing_base\n"
    )
    (folder / "settings.yaml").write_text(f"{SECRET}: 1\n")
    return folder


@pytest.fixture
def populated(reg: Registry, base_recipe: str) -> tuple[Registry, str, str]:
    """A registry with a model and a run with logs, committed."""
    model = models.register_model(
        reg,
        {"name": "Pricing", "recipe_id": base_recipe, "recipe_version_id": "1.0.0", "owner": "ana"},
    ).id
    run = runs.create_run(
        reg,
        {
            "recipe_id": base_recipe,
            "recipe_version_id": "1.0.0",
            "run_type": "train",
            "model_id": model,
        },
    ).id
    runs.update_run(reg, run, {"status": "succeeded", "logs_text": "epoch 1\n"})
    return reg, model, run


def _link_and_commit(reg: Registry, rel: str, target: Path) -> None:
    path = reg.root / rel
    if path.is_dir() and not path.is_symlink():
        git(reg.worktree, "rm", "-rq", str(path))
    elif path.exists() or path.is_symlink():
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)
    git(reg.worktree, "add", "-A")
    git(reg.worktree, "commit", "-qm", f"link {rel}")


def _nothing_leaked(*texts: str) -> None:
    for text in texts:
        assert SECRET not in text
        assert "token=" not in text


def _case(populated: tuple[Registry, str, str], outside: Path, which: str) -> tuple[Registry, str]:
    """Make one of the reported links; returns the registry and the linked path."""
    reg, _, run = populated
    run_dir = next(p for p in (reg.root / "runs").iterdir() if p.is_dir())
    rel = {
        "logs": f"runs/{run_dir.name}/{run}/logs.txt",
        "run": f"runs/{run_dir.name}/{run}/run.yaml",
        "model-folder": "models/model_leak",
        "shard-folder": "runs/2031-01",
        "settings": "modelyard.yaml",
    }[which]
    target = {
        "logs": outside / "secret.txt",
        "run": outside / "secret.txt",
        "model-folder": outside / "model",
        "shard-folder": outside,
        "settings": outside / "settings.yaml",
    }[which]
    _link_and_commit(reg, rel, target)
    return reg, rel


CASES = ["logs", "run", "model-folder", "shard-folder", "settings"]


@pytest.mark.parametrize("which", CASES)
def test_validate_reports_every_link_and_echoes_nothing_of_its_target(
    populated, outside, which
) -> None:
    reg, rel = _case(populated, outside, which)
    done = cli(reg.worktree, "validate", "--format", "github")
    assert done.returncode == 1, done.stdout + done.stderr
    annotations = [line for line in done.stdout.splitlines() if line.startswith("::error")]
    assert any(
        f"file=registry/{rel}," in a and "symlink" in a and "symbolic link" in a
        for a in annotations
    ), done.stdout
    _nothing_leaked(done.stdout, done.stderr)


@pytest.mark.parametrize("which", CASES)
def test_the_api_never_serves_a_link_s_target(populated, outside, which) -> None:
    reg, rel = _case(populated, outside, which)
    _, model, run = populated
    with TestClient(create_app(reg), raise_server_exceptions=False) as client:
        answers = [
            client.get(f"{API}/{path}")
            for path in (
                f"runs/{run}",
                "runs",
                f"models/{model}",
                "models",
                "models/model_leak",
                "recipes",
            )
        ]
    texts = [a.text for a in answers]
    _nothing_leaked(*texts)
    if which == "logs":  # the run is fine; its logs say why they are not shown
        assert answers[0].status_code == 200
        assert answers[0].json()["logs_text"] == (
            f"[modelyard: registry/{rel}: is a symbolic link; "
            "registry files and folders must be real "
            "ones (links are never followed); not read]\n"
        )
    if which == "run":
        assert "is a symbolic link" in answers[0].json()["detail"]
        assert (
            answers[1].status_code == 200 and answers[1].json()["total"] == 0
        )  # left out of listings
    if which == "model-folder":
        assert answers[4].status_code != 200 and "is in models/model_leak" in answers[4].text
        assert [m["id"] for m in answers[3].json()["models"]] == [model]


@pytest.mark.parametrize("cache", ["1", "0"])
def test_listings_leave_links_out_with_and_without_the_cache(
    populated, outside, monkeypatch, cache
) -> None:
    monkeypatch.setenv("MODELYARD_CACHE", cache)
    reg, model, run = populated
    _case(populated, outside, "model-folder")
    # a run file replaced by a link in the working tree, not committed
    run_file = next((reg.root / "runs").rglob("run.yaml"))
    run_file.unlink()
    run_file.symlink_to(outside / "secret.txt")
    fresh = Registry(reg.root)
    assert [m.id for m in models.list_models(fresh).models] == [model]
    assert runs.list_runs(fresh).total == 0
    with pytest.raises(UnsafePath, match="is a symbolic link"):
        runs.get_run(fresh, run)


def test_site_build_and_served_catalog_publish_nothing_from_outside(
    populated, outside, tmp_path
) -> None:
    reg, _ = _case(populated, outside, "logs")
    _link_and_commit(reg, "models/model_leak", outside / "model")
    out = tmp_path / "site"
    done = cli(reg.worktree, "site", "build", "--out", str(out))
    assert done.returncode == 0, done.stderr
    published = [p.read_text(errors="replace") for p in out.rglob("*") if p.is_file()]
    assert published and any("is a symbolic link" in text for text in published)
    _nothing_leaked(*published, done.stdout, done.stderr)
    with running_server(reg.root, log_dir=tmp_path) as server:
        for path in (
            "/model-development/",
            "/model-development/models/model_leak/",
            f"{API}/models/model_leak",
            f"{API}/runs",
        ):
            try:
                with urllib.request.urlopen(server.url(path), timeout=60) as resp:
                    text = resp.read().decode(errors="replace")
            except urllib.error.HTTPError as exc:
                text = exc.read().decode(errors="replace")
            _nothing_leaked(text)


def test_chat_never_reads_a_link(populated, outside) -> None:
    reg, _ = _case(populated, outside, "logs")
    _, _, run = populated
    done = cli(reg.worktree, "chat", f"why did run {run} fail? show its logs")
    _nothing_leaked(done.stdout, done.stderr)
    assert "Traceback" not in done.stderr


def test_a_linked_registry_folder_is_refused(tmp_path, outside) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (outside / "modelyard.yaml").write_text("{}\n")
    (repo / "registry").symlink_to(outside)
    done = cli(repo, "recipes", "list")
    assert done.returncode == 1
    assert "the registry folder registry is, or is inside, a symbolic link" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_write_through_a_linked_folder_is_refused(populated, outside) -> None:
    reg, model, _ = populated
    target = outside / "monitoring"
    target.mkdir()
    (reg.root / "models" / model / "monitoring").symlink_to(target)
    head = git(reg.worktree, "rev-parse", "HEAD")
    with pytest.raises(UnsafePath, match=r"a symbolic link is on its path; .*nothing was written"):
        monitoring.create_snapshot(reg, model, {"performance_metrics_json": {"MAPE": 0.1}})
    assert list(target.iterdir()) == []
    assert git(reg.worktree, "rev-parse", "HEAD") == head


# -- ids are matched whole ---------------------------------------------------------------------


def test_an_id_with_a_trailing_newline_is_refused(reg, base_recipe) -> None:
    with TestClient(create_app(reg), raise_server_exceptions=False) as client:
        r = client.post(
            f"{API}/models",
            json={
                "id": "model_x\n",
                "name": "X",
                "recipe_id": base_recipe,
                "recipe_version_id": "1.0.0",
                "owner": "ana",
            },
        )
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["loc"] == ["body", "id"]
        assert client.get(f"{API}/models/model_x%0A").status_code == 404
    assert not (reg.root / "models" / "model_x\n").exists()


def test_a_folder_named_with_a_newline_fails_validate_and_is_not_served(populated) -> None:
    reg, model, _ = populated
    bad = reg.root / "models" / "model_x\n"
    bad.mkdir()
    text = (
        (reg.root / "models" / model / "model.yaml")
        .read_text()
        .replace(f"id: {model}", 'id: "model_x\\n"')
    )
    (bad / "model.yaml").write_text(text)
    git(reg.worktree, "add", "-A")
    git(reg.worktree, "commit", "-qm", "a folder with a newline")
    done = cli(reg.worktree, "validate")
    assert done.returncode == 1
    assert "[bad-name]" in done.stdout and "'model_x\\n' is not a valid id" in done.stdout
    with TestClient(create_app(Registry(reg.root)), raise_server_exceptions=False) as client:
        assert [m["id"] for m in client.get(f"{API}/models").json()["models"]] == [model]
        assert client.get(f"{API}/models/model_x%0A").status_code == 404


# -- sizes -------------------------------------------------------------------------------------


def test_a_record_file_over_the_limit_is_refused_by_name(populated) -> None:
    reg, _, run = populated
    run_file = next((reg.root / "runs").rglob("run.yaml"))
    pad = "#" * 100 + "\n"
    run_file.write_text(run_file.read_text() + pad * (MAX_FILE_BYTES // len(pad) + 1))
    git(reg.worktree, "commit", "-qam", "a huge run")
    rel = run_file.relative_to(reg.worktree).as_posix()
    done = cli(reg.worktree, "runs", "get", run)
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == (
        f"Error: {rel}: is {run_file.stat().st_size:,} bytes, "
        f"over the limit of {MAX_FILE_BYTES:,} bytes "
        "for a registry file"
    )
    done = cli(reg.worktree, "validate")
    assert done.returncode == 1 and "[file-too-large]" in done.stdout


def test_large_logs_show_their_end(populated) -> None:
    reg, _, run = populated
    logs = next((reg.root / "runs").rglob("logs.txt"))
    lines = [f"step {i}\n" for i in range(300_000)]
    logs.write_text("".join(lines))
    got = runs.get_run(Registry(reg.root), run).logs_text
    first, rest = got.split("\n", 1)
    assert first.startswith("[modelyard: the first ") and first.endswith(
        f" bytes of {logs.relative_to(reg.worktree)} are not shown]"
    )
    assert rest.endswith("step 299999\n")
    assert rest.startswith("step ") and len(rest.encode()) <= MAX_LOG_BYTES
    skipped = int(first.split("first ")[1].split(" bytes")[0].replace(",", ""))
    assert skipped + len(rest.encode()) == logs.stat().st_size


# -- the index --------------------------------------------------------------------------------


def test_a_held_index_lock_undoes_the_commit_and_fails_loudly(populated, monkeypatch) -> None:
    reg, model, _ = populated

    monkeypatch.setattr(indexsync, "INDEX_TRIES", 3)  # the wait is the same, only shorter
    head = git(reg.worktree, "rev-parse", "HEAD")
    model_file = reg.root / "models" / model / "model.yaml"
    before = model_file.read_bytes()
    lock = Path(git(reg.worktree, "rev-parse", "--absolute-git-dir")) / "index.lock"
    lock.write_text("")  # an editor or another git process holding the index
    try:
        with pytest.raises(IndexBusy, match="git's index is locked") as caught:
            models.update_model(reg, model, {"description": "new"})
    finally:
        lock.unlink()
    assert "nothing was committed" in caught.value.message
    assert "delete" in (caught.value.action or "") and str(lock) in (caught.value.action or "")
    assert git(reg.worktree, "rev-parse", "HEAD") == head
    assert model_file.read_bytes() == before
    assert git(reg.worktree, "status", "--porcelain") == ""
    # and the next commit of unrelated work cannot revert anything
    (reg.worktree / "notes.txt").write_text("x\n")
    git(reg.worktree, "add", "notes.txt")
    git(reg.worktree, "commit", "-qm", "notes")
    assert git(reg.worktree, "show", "--stat", "--format=", "HEAD").count("|") == 1


def test_the_cli_exits_1_with_what_to_do_when_the_index_is_held(populated) -> None:
    reg, model, _ = populated
    head = git(reg.worktree, "rev-parse", "HEAD")
    lock = Path(git(reg.worktree, "rev-parse", "--absolute-git-dir")) / "index.lock"
    lock.write_text("")
    try:
        done = cli(reg.worktree, "models", "update", model, "--description", "new")
    finally:
        lock.unlink()
    assert done.returncode == 1
    assert done.stderr.startswith("Error: git's index is locked")
    assert "Suggested action: wait for that process to finish" in done.stderr
    assert git(reg.worktree, "rev-parse", "HEAD") == head
    assert git(reg.worktree, "status", "--porcelain") == ""
    done = cli(reg.worktree, "models", "update", model, "--description", "new", "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["description"] == "new"
    assert git(reg.worktree, "status", "--porcelain") == ""


def test_a_recipe_created_while_the_index_is_held_leaves_nothing(reg, monkeypatch) -> None:

    monkeypatch.setattr(indexsync, "INDEX_TRIES", 2)
    head = git(reg.worktree, "rev-parse", "HEAD")
    lock = Path(git(reg.worktree, "rev-parse", "--absolute-git-dir")) / "index.lock"
    lock.write_text("")
    try:
        with pytest.raises(IndexBusy):
            recipes.create_recipe(
                reg,
                {
                    "name": "P",
                    "model_family": "pricing",
                    "level": "baseline",
                    "manifest": manifest("pricing"),
                },
            )
    finally:
        lock.unlink()
    assert git(reg.worktree, "rev-parse", "HEAD") == head
    assert not (reg.root / "recipes" / "recipe_p").exists()
    assert git(reg.worktree, "status", "--porcelain", "--untracked-files=all") == ""


@pytest.mark.parametrize("how", ["paths", "base"])
def test_validate_of_a_change_or_of_named_files_reports_the_link(populated, outside, how) -> None:
    reg, rel = _case(populated, outside, "logs")
    args = ["validate", f"registry/{rel}"] if how == "paths" else ["validate", "--base", "HEAD~1"]
    done = cli(reg.worktree, *args)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"registry/{rel}" in done.stdout and "[symlink]" in done.stdout
    _nothing_leaked(done.stdout, done.stderr)


@pytest.mark.parametrize("target", ["/etc/passwd", "/proc/self/environ"])
def test_logs_linked_to_system_files_are_never_read(populated, target) -> None:
    reg, _, run = populated
    logs = next((reg.root / "runs").rglob("logs.txt"))
    _link_and_commit(reg, logs.relative_to(reg.root).as_posix(), Path(target))
    with TestClient(create_app(Registry(reg.root)), raise_server_exceptions=False) as client:
        texts = [client.get(f"{API}/runs/{run}").text, client.get(f"{API}/runs").text]
    for text in texts:
        assert "root:x:0:0" not in text and "PATH=" not in text and os.environ["HOME"] not in text
    assert "is a symbolic link" in texts[0]
    done = cli(reg.worktree, "validate", "--format", "github")
    assert done.returncode == 1 and "root:x:0:0" not in done.stdout and "PATH=" not in done.stdout
