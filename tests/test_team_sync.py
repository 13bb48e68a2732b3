"""`modelyard sync` against real bare remotes (and one through `git daemon` on 127.0.0.1):
fetch, replay local commits onto upstream, push; conflicts decided, kept and reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import git, manifest
from modelyard.cli.main import cli
from modelyard.domain.records import RegistrySettings
from modelyard.errors import GitError, InvalidValue, RemoteUnavailable
from modelyard.ops import recipes, versions
from modelyard.ops import sync as ops
from modelyard.storage.registry import Registry
from remote_support import bare_remote, clone, git_daemon, new_run


def remote_log(bare: Path) -> list[str]:
    return git(bare, "log", "--format=%H %P %s", "main").splitlines()


def test_two_clones_with_different_records_both_sync_into_one_linear_history(tmp_path):
    bare, _ = bare_remote(tmp_path)
    a = clone(bare, tmp_path / "a")
    b = clone(bare, tmp_path / "b")
    run_a = new_run(a)
    recipes.update_recipe(a, "recipe_pricing_base", {"status": "approved"})
    run_b = new_run(b)

    first = ops.sync(a)
    assert (first.outcome, first.pushed, first.behind) == ("pushed", 2, 0)
    assert first.message == "pushed 2 commits to origin/main"
    second = ops.sync(b)
    assert (second.outcome, second.pushed, second.behind) == ("pushed", 1, 2)
    assert second.message == (
        "pushed 1 commit to origin/main, after fetching 2 new upstream commits"
    )

    log = remote_log(bare)
    assert all(len(line.split(" ", 2)[1].split()) == 1 for line in log[:-1])  # one parent each
    assert len(git(bare, "rev-list", "--merges", "main").split()) == 0
    files = git(bare, "ls-tree", "-r", "--name-only", "main").splitlines()
    assert any(run_a in f for f in files) and any(run_b in f for f in files)
    # b's working tree is upstream plus its own commit, and clean
    assert git(b.worktree, "status", "--porcelain") == ""
    assert git(b.worktree, "rev-parse", "HEAD") == git(bare, "rev-parse", "main")
    assert "status: approved" in b.path("recipes/recipe_pricing_base/recipe.yaml").read_text()
    # a is behind now: a second sync fast-forwards it
    again = ops.sync(a)
    assert again.outcome == "fast_forwarded"
    assert again.message.startswith("behind origin/main by 1 commit: fast-forwarded to ")
    assert ops.sync(a).message == "nothing to push: up to date with origin/main"


def test_the_same_recipe_changed_on_both_sides_is_a_conflict_kept_on_a_branch(tmp_path):
    bare, _ = bare_remote(tmp_path)
    a = clone(bare, tmp_path / "a")
    b = clone(bare, tmp_path / "b")
    recipes.update_recipe(a, "recipe_pricing_base", {"status": "approved", "updated_by": "Ada"})
    assert ops.sync(a).outcome == "pushed"
    run_before = new_run(b)
    recipes.update_recipe(b, "recipe_pricing_base", {"tags": ["b-side"], "updated_by": "Bo"})
    conflicting = git(b.worktree, "rev-parse", "HEAD")
    run_after = new_run(b)
    upstream_before = git(bare, "rev-parse", "main")

    result = ops.sync(b)

    assert result.outcome == "conflict"
    assert result.pushed == 2  # the two runs, not the recipe change
    [c] = result.conflicts
    assert c.commit == conflicting and c.author == "Bo"
    [f] = c.files
    assert f.path == "registry/recipes/recipe_pricing_base/recipe.yaml"
    assert "b-side" in (f.ours.text or "") and "status: approved" not in (f.ours.text or "")
    assert "status: approved" in (f.theirs.text or "") and "b-side" not in (f.theirs.text or "")
    assert f.theirs.commits and "Ada" in f.theirs.commits[0]
    # the remote has the runs on top of upstream and nothing of the conflicting change
    pushed = git(bare, "log", "--format=%s", f"{upstream_before}..main").splitlines()
    assert len(pushed) == 2 and all(s.startswith("Queue train run") for s in pushed)
    shown = git(bare, "show", "main:registry/recipes/recipe_pricing_base/recipe.yaml")
    assert "status: approved" in shown and "b-side" not in shown
    # b's tree is clean, exactly upstream plus the runs
    assert git(b.worktree, "status", "--porcelain") == ""
    assert git(b.worktree, "rev-parse", "HEAD") == git(bare, "rev-parse", "main")
    assert b.path("recipes/recipe_pricing_base/recipe.yaml").read_text() == shown + "\n"
    for run_id in (run_before, run_after):
        assert git(b.worktree, "ls-files", f"*{run_id}/run.yaml")
    # the conflicting commit is recoverable by its ref
    assert c.ref is not None and c.ref.startswith("refs/heads/modelyard/conflicts/")
    assert git(b.worktree, "rev-parse", c.ref) == conflicting
    assert "b-side" in git(b.worktree, "show", f"{c.ref}:{f.path}")


def test_a_version_rebased_onto_an_upstream_that_made_the_same_version_is_refused(tmp_path):
    bare, _ = bare_remote(tmp_path)
    a = clone(bare, tmp_path / "a")
    b = clone(bare, tmp_path / "b")
    changed = manifest("pricing")
    changed["model"]["hyperparameters"]["num_leaves"] = 63
    va = versions.create_version(
        a, "recipe_pricing_base", {"manifest_json": changed, "change_note": "more leaves"}
    )
    assert va.version_number == "1.0.1"
    assert ops.sync(a).outcome == "pushed"
    other = manifest("pricing")
    other["model"]["hyperparameters"]["learning_rate"] = 0.1
    vb = versions.create_version(
        b, "recipe_pricing_base", {"manifest_json": other, "change_note": "faster"}
    )
    assert vb.version_number == "1.0.1"
    local = git(b.worktree, "rev-parse", "HEAD")

    result = ops.sync(b)

    assert result.outcome == "conflict" and result.pushed == 0
    [c] = result.conflicts
    assert c.commit == local
    assert c.problems == ["recipe_pricing_base 1.0.1 is not greater than upstream's 1.0.1"]
    # recipe.yaml too, when the two versions' updated_at differ (made in different seconds)
    by_path = {f.path.rsplit("/", 1)[1]: f for f in c.files}
    assert "manifest.yaml" in by_path and set(by_path) <= {"manifest.yaml", "recipe.yaml"}
    assert "learning_rate: 0.1" in (by_path["manifest.yaml"].ours.text or "")
    assert "num_leaves: 63" in (by_path["manifest.yaml"].theirs.text or "")
    assert git(bare, "rev-parse", "main") == git(a.worktree, "rev-parse", "HEAD")
    assert git(b.worktree, "rev-parse", "HEAD") == git(bare, "rev-parse", "main")


def test_a_child_pinned_to_a_parent_version_that_conflicted_is_refused_too(tmp_path):
    bare, _ = bare_remote(tmp_path)
    a = clone(bare, tmp_path / "a")
    b = clone(bare, tmp_path / "b")
    changed = manifest("pricing")
    changed["model"]["hyperparameters"]["num_leaves"] = 63
    versions.create_version(
        a, "recipe_pricing_base", {"manifest_json": changed, "change_note": "a"}
    )
    ops.sync(a)
    mine = manifest("pricing")
    mine["model"]["hyperparameters"]["learning_rate"] = 0.2
    versions.create_version(b, "recipe_pricing_base", {"manifest_json": mine, "change_note": "b"})
    child = recipes.create_recipe(
        b,
        {
            "name": "Pricing Retail",
            "model_family": "pricing",
            "level": "industry",
            "id": "recipe_pricing_retail",
            "parent_id": "recipe_pricing_base",
            "manifest": {},
        },
    )
    assert child.version == "1.0.0"
    run = new_run(b)

    result = ops.sync(b)

    # the child's files are new, so they would apply; but its pin names b's 1.0.1, which is
    # not pushed (upstream's 1.0.1 is another manifest): refused, and the run still goes
    assert result.outcome == "conflict" and result.pushed == 1
    parent, kid = result.conflicts
    assert any(f.path.endswith("recipe_pricing_base/manifest.yaml") for f in parent.files)
    assert kid.files == []
    assert kid.problems == [
        "recipe_pricing_retail pins recipe_pricing_base 1.0.1 as made by a local commit "
        "that is not pushed (it conflicts)"
    ]
    tree = git(bare, "ls-tree", "-r", "--name-only", "main")
    assert run in tree and "recipe_pricing_retail" not in tree
    assert not b.path("recipes/recipe_pricing_retail").exists()
    assert git(b.worktree, "status", "--porcelain") == ""


def test_sync_json_and_cli_lines(tmp_path, monkeypatch):
    bare, _ = bare_remote(tmp_path)
    a = clone(bare, tmp_path / "a")
    monkeypatch.chdir(a.worktree)
    runner = CliRunner()
    done = runner.invoke(cli, ["runs", "create", "--recipe-id", "recipe_pricing_base",
                               "--recipe-version-id", "1.0.0", "--run-type", "train",
                               "--json", "--push"])  # fmt: skip
    assert done.exit_code == 0, done.output
    body = json.loads(done.stdout)
    assert body["status"] == "queued"
    assert "pushed 1 commit to origin/main" in done.stderr
    assert git(bare, "ls-tree", "-r", "--name-only", "main").count(body["id"]) == 1
    done = runner.invoke(cli, ["sync", "--json"])
    assert done.exit_code == 0, done.output
    out = json.loads(done.stdout)
    assert out["outcome"] == "nothing_to_push" and out["pushed"] == 0


def test_push_always_in_the_settings_makes_every_command_push(tmp_path, monkeypatch):
    bare, seed = bare_remote(tmp_path)
    settings = seed / "registry" / "modelyard.yaml"
    settings.write_text(settings.read_text() + "remote:\n  push: always\n")
    git(seed, "commit", "-qam", "push always")
    git(seed, "push", "-q")
    a = clone(bare, tmp_path / "a")
    monkeypatch.chdir(a.worktree)
    runner = CliRunner()
    args = ["recipes", "update", "recipe_pricing_base", "--status", "approved"]
    done = runner.invoke(cli, args)
    assert done.exit_code == 0, done.output
    assert "pushed 1 commit" in done.stderr
    done = runner.invoke(cli, ["recipes", "update", "recipe_pricing_base", "--tag", "x",
                               "--no-push"])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "pushed" not in done.stderr
    assert git(a.worktree, "rev-list", "--count", "origin/main..HEAD") == "1"


def test_settings_env_and_flags_layer_and_bad_values_name_their_source():
    settings = RegistrySettings.model_validate({"remote": {"name": "team", "retry_tries": 3}})
    env = {"MODELYARD_SYNC_TRIES": "5", "MODELYARD_PUSH": "always"}
    config = ops.remote_config(settings, env, retry_seconds=2.5)
    assert (config.name, config.retry_tries, config.retry_seconds) == ("team", 5, 2.5)
    assert config.push == "always" and config.push_budget == 6 and config.batch_interval == 10
    with pytest.raises(InvalidValue, match=r"\$MODELYARD_PUSH: .*'never' or 'always'"):
        ops.remote_config(settings, {"MODELYARD_PUSH": "sometimes"})
    with pytest.raises(InvalidValue, match=r"--name: .* not a name git accepts"):
        ops.remote_config(RegistrySettings(), {}, name="a..b")
    assert ops.remote_config(RegistrySettings(), {}).name == "origin"


def test_a_gone_remote_is_git_s_message_with_what_to_do(tmp_path):
    bare, _ = bare_remote(tmp_path)
    a = clone(bare, tmp_path / "a")
    new_run(a)
    bare.rename(tmp_path / "moved.git")
    with pytest.raises(RemoteUnavailable) as info:
        ops.sync(a)
    text = str(info.value)
    assert "could not fetch from origin/main" in text and str(bare) in text
    assert "does not appear to be a git repository" in text
    assert "Suggested action: check the network" in text
    assert git(a.worktree, "rev-list", "--count", "origin/main..HEAD") == "1"  # nothing lost


def test_sync_through_git_daemon_on_loopback(tmp_path):
    bare, _ = bare_remote(tmp_path)
    with git_daemon(tmp_path) as url:
        a = clone(f"{url}remote.git", tmp_path / "a")
        b = clone(f"{url}remote.git", tmp_path / "b")
        ra, rb = new_run(a), new_run(b)
        assert ops.sync(a).outcome == "pushed"
        result = ops.sync(b)
        assert (result.outcome, result.pushed, result.behind) == ("pushed", 1, 1)
    tree = git(bare, "ls-tree", "-r", "--name-only", "main")
    assert ra in tree and rb in tree
    assert git(bare, "fsck", "--no-progress", "--no-dangling") == ""


def test_no_remote_configured_behaves_as_before(reg: Registry, base_recipe: str):
    # a registry with no remote: commands commit as always, sync says what is missing
    assert reg.settings.remote is None
    assert "remote:" not in reg.path("modelyard.yaml").read_text()
    with pytest.raises(Exception, match="no git remote named 'origin'"):
        ops.sync(reg)


def test_a_push_the_host_refuses_is_said_plainly_and_not_retried(tmp_path):
    bare, _ = bare_remote(tmp_path)
    a = clone(bare, tmp_path / "a")
    new_run(a)
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'main is protected' >&2\nexit 1\n")
    hook.chmod(0o755)
    with pytest.raises(GitError) as info:
        ops.sync(a)
    text = str(info.value)
    assert text.startswith("origin/main refused the push: pre-receive hook declined")
    assert "main is protected" in text and "Counting objects" not in text
    assert "Suggested action: the branch is protected or a hook declined" in text
    assert git(a.worktree, "rev-list", "--count", "origin/main..HEAD") == "1"


def test_every_remote_setting_is_in_the_settings_schema_with_a_description():
    from modelyard.domain.records import RemoteSettings

    root = Path(__file__).resolve().parent.parent
    schema = json.loads((root / "registry" / ".schema" / "settings.json").read_text())
    assert "remote" in schema["properties"]
    remote = schema["$defs"]["RemoteSettings"]["properties"]
    assert set(remote) == set(RemoteSettings.model_fields)
    assert all(field.get("description") for field in remote.values())


def test_the_cli_shows_a_conflict_with_both_sides_and_exits_1(tmp_path, monkeypatch):
    bare, _ = bare_remote(tmp_path)
    a = clone(bare, tmp_path / "a")
    b = clone(bare, tmp_path / "b")
    recipes.update_recipe(a, "recipe_pricing_base", {"status": "approved", "updated_by": "Ada"})
    ops.sync(a)
    recipes.update_recipe(b, "recipe_pricing_base", {"tags": ["b-side"], "updated_by": "Bo"})
    monkeypatch.chdir(b.worktree)
    done = CliRunner().invoke(cli, ["sync"])
    assert done.exit_code == 1
    lines = done.stdout.splitlines()
    assert lines[0].startswith("not pushed: ") and lines[0].endswith(
        " Bo: Update recipe_pricing_base: tags changed"
    )
    assert lines[1] == "  registry/recipes/recipe_pricing_base/recipe.yaml changed on both sides"
    assert "      +- b-side" in lines and "      +status: approved" in lines
    assert any(line.startswith("    theirs (") and "Ada" in line for line in lines)
    ref = git(b.worktree, "for-each-ref", "--format=%(refname:short)", "refs/heads/modelyard/")
    assert lines[-1] == (
        "conflict: 1 local commit changed files that origin/main changed too and was not "
        f"pushed (kept on {ref})"
    )


def test_edits_elsewhere_stay_and_an_edit_upstream_changed_too_stops_the_sync(tmp_path):
    from modelyard.errors import DirtyTree

    bare, _ = bare_remote(tmp_path)
    a = clone(bare, tmp_path / "a")
    b = clone(bare, tmp_path / "b")
    recipes.update_recipe(a, "recipe_pricing_base", {"status": "approved"})
    ops.sync(a)
    notes = b.worktree / "NOTES.md"
    notes.write_text("mine\n")
    settings = b.path("modelyard.yaml")
    settings.write_text(settings.read_text().replace("name: ", "name: edited "))
    new_run(b)
    assert ops.sync(b).outcome == "pushed"
    assert notes.read_text() == "mine\n" and "name: edited " in settings.read_text()
    status = [line.strip() for line in git(b.worktree, "status", "--porcelain").splitlines()]
    assert status == ["M registry/modelyard.yaml", "?? NOTES.md"]

    recipes.update_recipe(a, "recipe_pricing_base", {"tags": ["again"]})
    ops.sync(a)
    recipe = b.path("recipes/recipe_pricing_base/recipe.yaml")
    recipe.write_text(recipe.read_text() + "# a note\n")
    head = git(b.worktree, "rev-parse", "HEAD")
    with pytest.raises(DirtyTree, match="uncommitted changes to files upstream changed"):
        ops.sync(b)
    assert git(b.worktree, "rev-parse", "HEAD") == head
    assert recipe.read_text().endswith("# a note\n")
