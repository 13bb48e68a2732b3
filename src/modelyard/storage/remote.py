"""The git remote as the team's shared store: where a clone syncs to, fetch and push.

Replaying local commits onto upstream is storage/replay.py (its names are re-exported here,
so `remote.replay`, `remote.adopt` and the rest read as one API); clones are storage/clones.py.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from modelyard.errors import GitError, RemoteUnavailable
from modelyard.storage.git import Git
from modelyard.storage.gitraw import decode

# git's words for a push that lost the race to another writer: fetch, replay, try again
_RACE = ("non-fast-forward", "fetch first", "stale info", "cannot lock ref", "incorrect old value")
# what git says when it cannot reach the remote or is not let in
_UNREACHABLE = (
    "could not read from remote",
    "could not resolve host",
    "connection refused",
    "connection timed out",
    "unable to access",
    "authentication failed",
    "permission denied",
    "does not appear to be a git repository",
    "repository not found",
    "unable to connect",
    "network is unreachable",
    "could not read username",
    "terminal prompts disabled",
    "no such file or directory",
    "not found",
    "remote end hung up",
)


@dataclass(frozen=True)
class Upstream:
    """Where a clone's commits go: `remote`'s `branch`, mirrored locally at `tracking`."""

    remote: str  # "origin"
    branch: str  # "main", the branch's name on the remote
    local: str  # "refs/heads/main", the local branch that is replayed and pushed

    @property
    def tracking(self) -> str:
        return f"refs/remotes/{self.remote}/{self.branch}"

    @property
    def label(self) -> str:
        return f"{self.remote}/{self.branch}" if self.branch else self.remote


# -- settings git keeps ------------------------------------------------------------------------
def remote_url(git: Git, name: str) -> str | None:
    """The URL of remote `name`, or None when the clone has no such remote."""
    proc = git.run("config", "--get", f"remote.{name}.url", check=False)
    return proc.stdout.decode().strip() or None if proc.returncode == 0 else None


def resolve_upstream(git: Git, remote: str | None = None, branch: str | None = None) -> Upstream:
    """The remote and branch a clone syncs with: those given, else the current branch's
    upstream (`branch.<name>.remote` / `.merge`), else `origin` and the branch's own name."""
    local = git.branch_ref()
    if local is None:
        raise GitError(
            "HEAD is detached, so there is no branch to sync",
            action="check out the registry's branch first, e.g. `git switch main`",
        )
    name = local.removeprefix("refs/heads/")
    if remote is None:
        remote = _config(git, f"branch.{name}.remote") or "origin"
    if branch is None:
        merge = _config(git, f"branch.{name}.merge")
        branch = merge.removeprefix("refs/heads/") if merge else name
    if remote_url(git, remote) is None:
        raise GitError(
            f"this clone has no git remote named {remote!r}",
            action=f"add it (`git remote add {remote} URL`), or name another one with --remote "
            "or `remote: {name: ...}` in modelyard.yaml",
        )
    return Upstream(remote, branch, local)


def _config(git: Git, key: str) -> str | None:
    proc = git.run("config", "--get", key, check=False)
    return proc.stdout.decode().strip() or None if proc.returncode == 0 else None


# -- the network ---------------------------------------------------------------------------------
def _network_env(interactive: bool) -> dict[str, str]:
    if interactive:
        return {}
    # a job must fail, not wait for a password nobody will type
    env = {"GIT_TERMINAL_PROMPT": "0"}
    if not os.environ.get("GIT_SSH_COMMAND"):
        env["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes"
    return env


def _talk(
    git: Git,
    args: list[str],
    up: Upstream,
    progress: Callable[[str], None] | None,
    interactive: bool,
    quiet_for: float = 1.0,
) -> tuple[int, str, str]:
    """Run a git command that talks to the remote; its progress goes to `progress` once it
    has taken more than `quiet_for` seconds. (exit code, stdout, stderr)"""
    env = {**os.environ, **_network_env(interactive)}
    try:
        proc = subprocess.Popen(
            ["git", *args],
            cwd=git.worktree,
            stdin=None if interactive else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH", action="install git") from None
    started = time.monotonic()
    said: list[bytes] = []
    out: list[bytes] = []
    told = False

    def read_out() -> None:
        assert proc.stdout is not None
        out.append(proc.stdout.read())

    reader = threading.Thread(target=read_out, daemon=True)
    reader.start()
    assert proc.stderr is not None
    shown = 0  # how much of what git said has been looked at for progress
    while True:
        chunk = proc.stderr.read1(4096)  # type: ignore[attr-defined]
        if not chunk:
            break
        said.append(chunk)
        if progress is not None and time.monotonic() - started > quiet_for:
            text = decode(b"".join(said))
            # whole lines only, and only git's progress (its errors and hints are reported
            # with the outcome, once)
            end = max(text.rfind("\r"), text.rfind("\n")) + 1
            lines = [
                part
                for part in re.split(r"(?<=[\r\n])", text[shown:end])
                if _PROGRESS.match(part.strip())
            ]
            shown = max(shown, end)
            if lines and not told:
                progress(f"{args[0]} {up.label}: still working\n")
                told = True
            for line in lines:
                progress(line)
    reader.join()
    code = proc.wait()
    return code, decode(b"".join(out)), decode(b"".join(said))


_PROGRESS = re.compile(
    r"^(remote: )?(Enumerating|Counting|Compressing|Writing|Receiving|Resolving|Total|Delta|"
    r"Unpacking|Updating files|Filtering content|Checking out)"
)


def _plain(said: str) -> str:
    """git's stderr without its progress lines: what it said, on one line."""
    lines = [line.strip() for line in said.replace("\r", "\n").splitlines() if line.strip()]
    return "; ".join(line for line in lines if not _PROGRESS.match(line))


def _unreachable(what: str, up: Upstream, url: str | None, said: str) -> RemoteUnavailable:
    message = _plain(said)
    return RemoteUnavailable(
        f"could not {what} {up.label} ({url}): {message or 'git gave no reason'}",
        action="check the network and that your credentials for that URL work "
        f"(`git ls-remote {up.remote}`); your commits are safe in this clone, "
        "run `modelyard sync` again once it answers",
    )


def fetch(
    git: Git,
    up: Upstream,
    progress: Callable[[str], None] | None = None,
    interactive: bool = False,
    maintain: bool = True,
) -> str | None:
    """Bring the remote's branch to `up.tracking`; its commit, None when the remote has no
    such branch yet (an empty repository). Raises RemoteUnavailable when it cannot.
    `maintain=False`: no `git maintenance run --auto` after it (a server that packs its
    objects on its own schedule, rather than whenever a fetch finds many loose ones)."""
    spec = f"+refs/heads/{up.branch}:{up.tracking}"
    args = ["fetch", "--no-tags", "--no-write-fetch-head", "--progress"]
    args += [] if maintain else ["--no-auto-maintenance"]
    args += [up.remote, spec]
    code, _, said = _talk(git, args, up, progress, interactive)
    if code != 0:
        if f"couldn't find remote ref refs/heads/{up.branch}" in said.lower():
            return None
        url = remote_url(git, up.remote)
        if _is_unreachable(said):
            raise _unreachable("fetch from", up, url, said)
        raise GitError(f"git fetch {up.label} failed: {_plain(said)}")
    return git.resolve_commit(up.tracking)


def _is_unreachable(said: str) -> bool:
    low = said.lower()
    return any(sign in low for sign in _UNREACHABLE)


# How many objects a push's `git pack-objects` tries as the base of each delta (git's default
# is 10). A registry's commits each change a file or two, so the best base of each new tree is
# the same folder's tree one commit earlier, which pack-objects sorts right beside it (same
# path, nearly the same size): two finds it. Pushing 600 run commits made by a server
# (600 loose month trees of 400 kB) took 1.7 s of CPU in pack-objects instead of 3.3 s, and
# the pack was no larger.
PUSH_WINDOW = 2


def push(
    git: Git,
    up: Upstream,
    sha: str,
    progress: Callable[[str], None] | None = None,
    interactive: bool = False,
) -> bool:
    """Push commit `sha` as the remote's branch. False when the remote refused because it
    holds commits this clone has not replayed onto (someone pushed first: fetch, replay and
    push again); RemoteUnavailable or GitError (a protected branch, a hook) otherwise."""
    args = ["-c", f"pack.window={PUSH_WINDOW}", "push", "--porcelain", "--progress"]
    args += [up.remote, f"{sha}:refs/heads/{up.branch}"]
    code, out, said = _talk(git, args, up, progress, interactive)
    if code == 0:
        git.run("update-ref", "-m", "modelyard: pushed", up.tracking, sha)
        return True
    said = _plain(said)
    text = f"{out}\n{said}".lower()
    if ("[rejected]" in text or "[remote rejected]" in text) and any(w in text for w in _RACE):
        return False
    if "[remote rejected]" in text:
        reason = next(
            (line for line in out.splitlines() if "[remote rejected]" in line),
            said.strip(),
        )
        why = reason.split("\t")[-1].replace("[remote rejected]", "").strip().strip("()")
        raise GitError(
            f"{up.label} refused the push: {why} ({said})" if said else why,
            action="the branch is protected or a hook declined: push through a pull request, "
            "or ask for the account to be allowed to push to it",
        )
    if _is_unreachable(said):
        raise _unreachable("push to", up, remote_url(git, up.remote), said)
    raise GitError(f"git push {up.label} failed: {said or out.strip()}")


def backoff(attempt: int, base: float = 0.05, cap: float = 1.0) -> float:
    """Seconds to wait before try `attempt` + 1 after a lost race: full jitter over an
    exponentially growing window, so writers that collided do not collide again in step.
    The window stays short: a race is lost to writers that keep pushing, not to a burst that
    passes, and a long pause only makes the next fetch-replay-push take longer, which loses
    again (8 writers in a loop starved one of them with a 5 s window)."""
    return random.uniform(0, min(cap, base * 2**attempt))


# the replay's names, so that `remote.<name>` is the whole API (imported last: no cycle)
from modelyard.storage.replay import (  # noqa: E402
    CONFLICT_PREFIX,
    Check,
    Conflicted,
    ConflictFile,
    Replay,
    Replayed,
    Side,
    adopt,
    conflict_refs,
    counts,
    replay,
)

__all__ = [
    "CONFLICT_PREFIX",
    "Check",
    "ConflictFile",
    "Conflicted",
    "Replay",
    "Replayed",
    "Side",
    "Upstream",
    "adopt",
    "backoff",
    "conflict_refs",
    "counts",
    "fetch",
    "push",
    "remote_url",
    "replay",
    "resolve_upstream",
]
