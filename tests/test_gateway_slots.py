"""A gateway's push slots against a remote that is slow to fetch from: the round that pushes
starts a fetch early, so its push goes at the slot (not a fetch later), and never before it.

The remote is a real bare repository; its fetches are slowed by a real `git-upload-pack`
that sleeps first (`remote.origin.uploadpack`), as a git host far away is slow to answer."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from conftest import git
from modelyard.ops import runs
from modelyard.server.gateway import Gateway
from modelyard.server.gateway_config import GatewaySettings
from modelyard.storage.registry import Registry
from remote_support import bare_remote

RECIPE = "recipe_pricing_base"
BODY = {"recipe_id": RECIPE, "recipe_version_id": "ver_pricing_base_v1.0.0", "run_type": "train"}
SLOW = 0.5  # seconds each fetch from the remote waits before git answers
SLOT = 3.0  # long enough that the test's own steps end well before a round is due


def slow_clone(tmp_path: Path) -> tuple[Path, Path]:
    """(a bare remote with a registry of one recipe, a clone of it whose fetches are slow)."""
    remote, _ = bare_remote(tmp_path)
    work = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(remote), str(work))
    git(work, "config", "remote.origin.uploadpack", f"sleep {SLOW}; git-upload-pack")
    return remote, work


def test_a_push_round_fetches_ahead_of_its_slot_and_pushes_on_it(tmp_path: Path) -> None:
    remote, work = slow_clone(tmp_path)
    settings = GatewaySettings(batch_interval=SLOT, push_budget=120)
    gateway = Gateway(work / "registry", settings, threading.Lock())
    gateway.start()
    assert gateway._fetch_took >= SLOW  # the slow fetch is what the gateway measured

    made = [runs.create_run(Registry(work / "registry"), BODY).id]
    gateway._cycle(push=True)  # the first push: no slot to wait for
    assert gateway.pushes == 1
    first = gateway._budget.last
    assert first is not None

    made.append(runs.create_run(Registry(work / "registry"), BODY).id)
    due = gateway._due(first)
    # the round is due a fetch (and a half) before the slot ...
    assert first + SLOT - 1.5 * gateway._fetch_took - 0.06 <= due <= first + SLOT - SLOW
    assert time.monotonic() < due, "the test's own steps took longer than the lead"
    time.sleep(max(0.0, due - time.monotonic()))
    gateway._cycle(push=True)
    assert gateway.pushes == 2
    second = gateway._budget.last
    assert second is not None
    # ... and its push goes at the slot: not before (the budget), and not a fetch after it
    assert second >= first + SLOT
    assert second - (first + SLOT) < SLOW, f"the push came {second - first - SLOT:.2f} s late"

    on_remote = git(remote, "ls-tree", "-r", "--name-only", "main")
    assert all(f"/{run_id}/run.yaml" in on_remote for run_id in made)
    assert git(remote, "rev-parse", "main") == git(work, "rev-parse", "HEAD")
