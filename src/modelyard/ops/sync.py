"""`modelyard sync`: fetch, replay local registry commits onto upstream, push; retried with
jittered backoff when another writer pushed first, bounded in tries and time.

The settings' `remote:` section, then environment variables, then flags decide where and how
(`remote_config`). A replayed commit that changes a recipe's version is checked again on its
new base (`recheck_versions`): the version must still be new, and a child's pin must still
name a version its parent has.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from modelyard.domain.records import ManifestFile, RegistrySettings, RemoteSettings
from modelyard.domain.semver import parse as parse_semver
from modelyard.errors import Conflict, GitError, InvalidValue, ModelyardError
from modelyard.storage import files, layout, remote
from modelyard.storage.registry import Registry

# environment variables over the settings file, flags over both
ENV: dict[str, str] = {
    "name": "MODELYARD_REMOTE",
    "branch": "MODELYARD_REMOTE_BRANCH",
    "push": "MODELYARD_PUSH",
    "batch_interval": "MODELYARD_BATCH_INTERVAL",
    "push_budget": "MODELYARD_PUSH_BUDGET",
    "retry_tries": "MODELYARD_SYNC_TRIES",
    "retry_seconds": "MODELYARD_SYNC_SECONDS",
}

Outcome = Literal["pushed", "nothing_to_push", "fast_forwarded", "replayed", "conflict"]


def remote_config(
    settings: RegistrySettings, env: Mapping[str, str] | None = None, **flags: Any
) -> RemoteSettings:
    """The `remote:` settings with $MODELYARD_* variables and then the given flags (those not
    None) laid over them. A bad value names where it came from."""
    env = os.environ if env is None else env
    data = (settings.remote or RemoteSettings()).model_dump()
    origin = {key: f"modelyard.yaml remote.{key}" for key in data}
    for key, var in ENV.items():
        if env.get(var):
            data[key], origin[key] = env[var], f"${var}"
    for key, value in flags.items():
        if value is not None:
            data[key], origin[key] = value, f"--{key.replace('_', '-')}"
    try:
        return RemoteSettings.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = str(err["loc"][0]) if err["loc"] else "remote"
        raise InvalidValue(
            f"{origin.get(key, key)}: {err['msg'].removeprefix('Value error, ')} "
            f"(got {data.get(key)!r})"
        ) from None


class ConflictSide(BaseModel):
    blob: str | None
    text: str | None  # the file's text on this side (None: no such file)
    commits: list[str]


class ConflictFileOut(BaseModel):
    path: str
    base: str | None  # the text the local commit started from
    ours: ConflictSide
    theirs: ConflictSide


class ConflictOut(BaseModel):
    commit: str
    subject: str
    author: str
    ref: str | None
    files: list[ConflictFileOut]
    problems: list[str]


class SyncResult(BaseModel):
    """What one `modelyard sync` did (its --json)."""

    outcome: Outcome
    message: str  # the one line the CLI prints
    remote: str
    branch: str
    pushed: int = 0  # commits the remote now has from this clone
    behind: int = 0  # upstream commits this clone did not have
    already_upstream: int = 0  # local changes upstream had made already (dropped as empty)
    tries: int = 0  # pushes attempted
    head: str | None = None
    upstream: str | None = None
    conflicts: list[ConflictOut] = []


class SyncGaveUp(Conflict):
    """The remote kept moving: every try lost the race to another writer."""


def sync(
    reg: Registry,
    config: RemoteSettings | None = None,
    push: bool = True,
    progress: Callable[[str], None] | None = None,
    interactive: bool = False,
) -> SyncResult:
    """Fetch the upstream branch, replay this clone's commits onto it (conflicts kept aside
    on branches of their own), and push; another writer's push in between means fetch,
    replay and push again, up to the configured tries and seconds."""
    config = config or remote_config(reg.settings)
    git = reg.git
    if not reg.in_git:
        raise GitError(f"{reg.root} is not inside a git repository")
    up = remote.resolve_upstream(git, config.name, config.branch)
    deadline = time.monotonic() + config.retry_seconds
    conflicts: list[remote.Conflicted] = []
    result = SyncResult(outcome="nothing_to_push", message="", remote=up.remote, branch=up.branch)
    check = recheck_versions(reg)
    attempt = 0
    while True:
        onto = remote.fetch(git, up, progress, interactive)
        reg.finish_interrupted()  # a mutation a crash left half-done is finished first
        lock = reg.write_lock()
        try:
            head = git.current_head()
            if head is None:
                raise GitError("the registry's branch has no commit yet")
            if onto is None:  # an empty remote: everything local is new to it
                replayed = remote.Replay(head, head, None, head)
            else:
                replayed = remote.replay(git, head, onto, check)
                remote.adopt(git, replayed)
        finally:
            lock.release()  # type: ignore[attr-defined]
        conflicts += replayed.conflicts
        result.already_upstream += len(replayed.already)
        if attempt == 0:
            result.behind = replayed.behind
        ahead = remote.counts(git, replayed.new_head, onto)[0]
        result.head, result.upstream = replayed.new_head, onto
        if ahead == 0 or not push:
            result.pushed = 0
            break
        attempt += 1
        result.tries = attempt
        if remote.push(git, up, replayed.new_head, progress, interactive):
            result.pushed, result.upstream = ahead, replayed.new_head
            break
        wait = remote.backoff(attempt)
        if attempt >= config.retry_tries or time.monotonic() + wait > deadline:
            raise SyncGaveUp(
                f"{up.label} kept moving: {attempt} pushes in "
                f"{config.retry_seconds - (deadline - time.monotonic()):.1f} s each lost the race "
                "to another writer; the commits are replayed locally and not lost",
                action="run `modelyard sync` again, or raise remote.retry_tries / "
                "retry_seconds ($MODELYARD_SYNC_TRIES, $MODELYARD_SYNC_SECONDS)",
            )
        time.sleep(wait)
    result.conflicts = [_conflict_out(reg, c) for c in conflicts]
    result.outcome, result.message = _outcome(result, up, push, ahead)
    return result


def _outcome(r: SyncResult, up: remote.Upstream, push: bool, ahead: int) -> tuple[Outcome, str]:
    def n(count: int, what: str) -> str:
        return f"{count} {what}{'' if count == 1 else 's'}"

    extra = f", after fetching {n(r.behind, 'new upstream commit')}" if r.behind else ""
    if r.conflicts:
        refs = ", ".join((c.ref or c.commit[:12]).removeprefix("refs/heads/") for c in r.conflicts)
        done = f"; pushed {n(r.pushed, 'other commit')}" if r.pushed else ""
        return (
            "conflict",
            f"conflict: {n(len(r.conflicts), 'local commit')} changed files that "
            f"{up.label} changed too and {'was' if len(r.conflicts) == 1 else 'were'} "
            f"not pushed (kept on {refs}){done}",
        )
    if r.pushed:
        return "pushed", f"pushed {n(r.pushed, 'commit')} to {up.label}{extra}"
    if not push and ahead:
        return "replayed", f"{n(ahead, 'local commit')} replayed onto {up.label}{extra}, not pushed"
    if r.behind:
        return (
            "fast_forwarded",
            f"behind {up.label} by {n(r.behind, 'commit')}: fast-forwarded to "
            f"{(r.upstream or '')[:12]}; nothing to push",
        )
    return "nothing_to_push", f"nothing to push: up to date with {up.label}"


def _conflict_out(reg: Registry, c: remote.Conflicted) -> ConflictOut:
    blobs = [b for f in c.files for b in (f.base, f.ours.blob, f.theirs.blob) if b]
    texts = reg.git.cat_blobs(blobs)

    def text(blob: str | None) -> str | None:
        return texts[blob].decode("utf-8", "replace") if blob and blob in texts else None

    return ConflictOut(
        commit=c.commit,
        subject=c.subject,
        author=c.author,
        ref=c.ref,
        problems=c.problems,
        files=[
            ConflictFileOut(
                path=f.path,
                base=text(f.base),
                ours=ConflictSide(
                    blob=f.ours.blob, text=text(f.ours.blob), commits=list(f.ours.commits)
                ),
                theirs=ConflictSide(
                    blob=f.theirs.blob, text=text(f.theirs.blob), commits=list(f.theirs.commits)
                ),
            )
            for f in c.files
        ],
    )


def recheck_versions(reg: Registry) -> remote.Check:
    """The re-check of a replayed commit that changes a recipe's manifest: its version must
    be greater than the one on the new base and used by no earlier commit there, and a pin
    (`extends`) it sets must name a version its parent has on the new base."""

    def manifest_of(data: bytes | None, where: str) -> ManifestFile | None:
        if data is None:
            return None
        try:
            return files.parse_text(data, ManifestFile, where)
        except ModelyardError:
            return None  # a broken file is `modelyard validate`'s to report

    def check(r: remote.Replayed) -> list[str]:
        problems = []
        for change in r.changes:
            rel = reg.rel_path(change.path)
            parts = (rel or "").split("/")
            if len(parts) != 3 or parts[0] != layout.RECIPES or parts[2] != "manifest.yaml":
                continue
            recipe_id = parts[1]
            after = manifest_of(r.after(change.path), change.path)
            if after is None:
                continue
            before = manifest_of(r.before(change.path), change.path)
            own = manifest_of(r.parent(change.path), change.path)
            if own is None or after.version != own.version:  # the commit makes a version
                used = {
                    m.version
                    for b in r.history(change.path)
                    if (m := manifest_of(b, change.path)) is not None
                }
                if before is not None and parse_semver(after.version) <= parse_semver(
                    before.version
                ):
                    problems.append(
                        f"{recipe_id} {after.version} is not greater than upstream's "
                        f"{before.version}"
                    )
                elif after.version in used - {before.version if before else ""}:
                    problems.append(f"{recipe_id} {after.version} exists upstream already")
            pin = after.extends
            if pin is not None and (before is None or before.extends != pin):
                parent_path = reg.repo_path(layout.manifest_file(pin.recipe))
                current = manifest_of(r.after(parent_path), parent_path)
                versions = {
                    m.version
                    for b in r.history(parent_path)
                    if (m := manifest_of(b, parent_path)) is not None
                }
                if current is not None:
                    versions.add(current.version)
                left_out = {
                    m.version
                    for b in r.dropped(parent_path)
                    if (m := manifest_of(b, parent_path)) is not None
                }
                if pin.version in left_out:
                    # upstream may have a version of that number too, but not the one pinned
                    problems.append(
                        f"{recipe_id} pins {pin.recipe} {pin.version} as made by a local "
                        "commit that is not pushed (it conflicts)"
                    )
                elif pin.version not in versions:
                    problems.append(
                        f"{recipe_id} pins {pin.recipe} {pin.version}, a version "
                        f"{pin.recipe} does not have upstream"
                    )
        return problems

    return check


def clone_registry(
    url: str,
    folder: Path,
    writer: bool = False,
    branch: str | None = None,
    progress: Callable[[str], None] | None = None,
    interactive: bool = False,
) -> Path:
    """Clone a team registry (a writer clone: partial and sparse, for jobs that add runs and
    snapshots); the registry folder in the clone."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise InvalidValue(f"{folder} exists and is not an empty folder")
    prefix = remote.clone(url, folder, writer, branch, progress, interactive)
    return folder / prefix if prefix else folder
