"""`modelyard serve --remote`: the server as the team's gateway to a git remote.

Every API write is still one commit in the gateway's clone (server/access.py). The
gateway's one sync task then, at most once per slot (the batching interval, and never more
often than the push budget allows):

1. fetches the upstream branch (also every fetch interval when nothing waits, so reads show
   what others pushed; reads never wait for a fetch);
2. when upstream moved, replays the local commits onto it without a working tree
   (storage/upstream.py): a commit whose files were changed upstream too is left out, and
   its write is answered 409 with what changed;
3. pushes every local commit at once, fast-forward only; a push that finds upstream moved
   again is followed at once by a fetch and replay, and retried at the next slot.

With `ack="remote"` (the default) a write's answer is sent once the push that holds it has
succeeded; with `ack="local"` once it is committed in the gateway's clone. When the remote
cannot be reached, writes are answered 503 (with `ack="remote"`, the writes waiting for the
failed push too, and their commits are taken back) until a fetch succeeds again.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio.to_thread

from modelyard.domain.records import AckMode
from modelyard.errors import GitError, ModelyardError, RemoteUnavailable
from modelyard.ops.sync import recheck_versions
from modelyard.server.gateway_config import GatewaySettings, PushBudget
from modelyard.storage import remote
from modelyard.storage import upstream as up
from modelyard.storage.git import Git
from modelyard.storage.registry import Registry

log = logging.getLogger("modelyard.gateway")
# a write refused by the clone's state fetches first, unless a fetch is younger than this
FRESH = 1.0


class Ticket:
    """One write's commit, waiting for the push that holds it."""

    def __init__(self, sha: str) -> None:
        self.sha = sha
        self.done: concurrent.futures.Future[None] = concurrent.futures.Future()


class Gateway:
    """The sync task and what it knows of upstream; one per server."""

    def __init__(self, root: Path, settings: GatewaySettings, guard: threading.Lock) -> None:
        self.root = root
        self.settings = settings
        self.guard = guard  # the server's one-write-at-a-time lock (RegistryAccess)
        self.upstream: remote.Upstream | None = None
        self.base: str | None = None  # the upstream commit the local branch is built on
        self.unavailable: RemoteUnavailable | None = None
        self.pushes = 0  # push attempts, each counted against the budget
        self.pushed_commits = 0
        self.rejected = 0
        self.conflicts = 0
        self.started = time.monotonic()
        self.last_fetch: float | None = None
        self.last_push: datetime | None = None
        self._budget = PushBudget(settings)
        self._tickets: list[Ticket] = []
        self._state = threading.Lock()
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._gitobj: Git | None = None
        self._rounds = threading.Lock()  # one fetch-replay-push round at a time
        self._fetch_took = 0.0  # how long the last fetch took: a push round starts that early

    # -- git --------------------------------------------------------------------------------
    def _registry(self) -> Registry:
        return Registry(self.root, committed=True)

    def _git(self) -> Git:
        if self._gitobj is None:
            self._gitobj = self._registry().git
        return self._gitobj

    # -- what writes see --------------------------------------------------------------------
    def check_available(self) -> None:
        """Raise the 503 while the remote is known to be unreachable."""
        problem = self.unavailable
        if problem is not None:
            raise RemoteUnavailable(
                f"the registry's remote is unavailable, so nothing was written: {problem.message}",
                action="retry later; the gateway checks the remote every "
                f"{self.settings.fetch_every:g} s and accepts writes again once it answers",
            )

    def committed(self, sha: str) -> Ticket | None:
        """Called under the write guard right after a write made commit `sha`: its ticket
        (None with ack local, where the answer does not wait)."""
        ticket = Ticket(sha) if self.settings.ack == AckMode.remote else None
        if ticket is not None:
            with self._state:
                self._tickets.append(ticket)
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            loop.call_soon_threadsafe(wake.set)
        return ticket

    async def acknowledged(self, ticket: Ticket) -> None:
        """Wait until `ticket`'s commit is pushed; raises the 409 or 503 that ends it otherwise."""
        await asyncio.wrap_future(ticket.done)

    # -- the task ---------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        await anyio.to_thread.run_sync(self.start)
        task = asyncio.create_task(self._run())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await anyio.to_thread.run_sync(self.stop)

    def finish_crashed(self) -> None:
        """A branch update a crash interrupted: its files brought in step (before git's index
        is checked, which assumes the files on disk are HEAD's)."""
        reg = self._registry()
        lock = reg.write_lock()
        try:
            finished = up.finish_checkout(reg.git)
        finally:
            lock.release()  # type: ignore[attr-defined]
        if finished:
            log.warning(
                "gateway: a branch update interrupted by a crash was finished (%d file(s))",
                len(finished),
            )

    def start(self) -> None:
        """Find upstream, bring the branch onto it, and report local commits that no push
        acknowledged (they are pushed, or left out on a conflict, like any other)."""
        git = self._git()
        self.upstream = remote.resolve_upstream(git, self.settings.remote, self.settings.branch)
        tip = self._fetch(git)
        head = git.current_head()
        tracking = git.resolve_commit(self.upstream.tracking)
        if head is not None and tracking is not None:
            self.base = up.merge_base(git, head, tracking)
        if self.unavailable is None:
            self._integrate(git, tip)
        head = git.current_head()
        if head is not None and head != self.base:
            waiting = up.subjects(git, self.base, head)
            log.warning(
                "gateway: %d commit(s) in this clone are not on %s/%s yet (committed but never "
                "acknowledged by a push, e.g. before a crash); pushing them: %s",
                len(waiting),
                self.upstream.remote,
                self.upstream.branch,
                "; ".join(f"{sha[:12]} {subject}" for sha, subject in waiting[:20]),
            )
        log.info(
            "gateway: serving %s/%s at %s, ack %s, a push at most every %g s",
            self.upstream.remote,
            self.upstream.branch,
            (self.base or "(no commit yet)")[:12],
            self.settings.ack,
            self.settings.slot,
        )

    def stop(self) -> None:
        """One last push of what waits (after waiting for its slot, one slot at most), so a
        gateway stopped on purpose leaves nothing behind that it acknowledged."""
        git = self._git()
        waiting = git.current_head() not in (None, self.base)
        if self.unavailable is None and waiting:
            time.sleep(
                max(0.0, min(self._budget.next_attempt() - time.monotonic(), self.settings.slot))
            )
            try:
                self._cycle(push=True)
            except ModelyardError as exc:
                log.error("gateway: the last push failed: %s", exc)
        head = git.current_head()
        if head is not None and head != self.base:
            log.warning(
                "gateway: stopping with %d commit(s) not pushed yet; they are pushed when it "
                "starts again",
                len(up.subjects(git, self.base, head)),
            )

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            now = time.monotonic()
            due = self._due(now)
            if due > now:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=due - now)
                self._wake.clear()
                continue
            push = self._wants_push() and self._budget.next_attempt() - self._lead() <= now
            try:
                await anyio.to_thread.run_sync(self._cycle, push)
            except ModelyardError as exc:
                log.error("gateway: %s", exc)
                await asyncio.sleep(min(self.settings.slot, 5.0))
            except Exception:
                log.exception("gateway: the sync task failed; retrying")
                await asyncio.sleep(min(self.settings.slot, 5.0))

    def _wants_push(self) -> bool:
        head = self._git().current_head()
        return head is not None and head != self.base

    def _due(self, now: float) -> float:
        """When the task should next run a round: the next fetch, or sooner the next push
        slot when commits wait (while the remote is away, only the fetches that probe it)."""
        fetch_at = (self.last_fetch or 0.0) + self.settings.fetch_every
        if self.unavailable is None and self._wants_push():
            return min(fetch_at, max(self._budget.next_attempt() - self._lead(), now))
        return fetch_at

    def _lead(self) -> float:
        """How long before its slot a push round starts: its fetch and replay are done by the
        slot, and the push goes at the slot itself (otherwise each push would come a fetch
        later than the slot allows, and the slots would drift apart by that much each)."""
        return min(1.5 * self._fetch_took + 0.05, self.settings.slot / 2)

    # -- one round: fetch, replay, push -----------------------------------------------------
    def _cycle(self, push: bool) -> None:
        with self._rounds:
            git = self._git()
            tip = self._fetch(git)
            if self.unavailable is not None:
                self._fail_waiting(git, self.unavailable)
                return
            self._integrate(git, tip)
            if push:
                # the round started up to `_lead()` early, so that the push is on time
                time.sleep(max(0.0, self._budget.next_attempt() - time.monotonic()))
                self._push(git)

    async def caught_up(self) -> bool:
        """For a write refused by what the clone holds (a record not found, a conflict): fetch
        now, unless a fetch just happened, and take what upstream has; whether anything came
        in, so the write is worth trying once more."""
        return await anyio.to_thread.run_sync(self._catch_up)

    def _catch_up(self) -> bool:
        with self._rounds:
            if self.last_fetch is not None and time.monotonic() - self.last_fetch < FRESH:
                return False
            git = self._git()
            before = self.base
            tip = self._fetch(git)
            if self.unavailable is not None or tip is None or tip == before:
                return False
            self._integrate(git, tip)
            return self.base != before

    def _fetch(self, git: Git) -> str | None:
        assert self.upstream is not None
        try:
            # the server packs loose objects itself, at most once a minute (server/access.py);
            # a fetch's own `gc --auto` would start another, in the middle of the writes
            began = time.monotonic()
            tip = remote.fetch(git, self.upstream, maintain=False)
            self._fetch_took = time.monotonic() - began
        except GitError as exc:  # RemoteUnavailable, or anything else git says: a 503 either way
            if self.unavailable is None:
                log.error("gateway: %s", exc.message)
            self.unavailable = _unavailable(exc)
            self.last_fetch = time.monotonic()
            return None
        if self.unavailable is not None:
            log.warning("gateway: %s/%s answers again", self.upstream.remote, self.upstream.branch)
        self.unavailable = None
        self.last_fetch = time.monotonic()
        return tip

    def _integrate(self, git: Git, tip: str | None) -> None:
        """Bring the local branch onto upstream's `tip`: a fast-forward, or the local commits
        replayed on it (those that conflict left out and their writes answered 409)."""
        if tip is None or tip == self.base:
            return
        with self.guard:
            reg = self._registry()
            lock = reg.write_lock()
            try:
                head = git.current_head()
                if head is None:
                    raise GitError(
                        "the gateway's branch has no commit yet",
                        action="serve a clone of the remote (`git clone URL`)",
                    )
                if git.is_ancestor(tip, head):  # upstream holds nothing this branch lacks
                    self.base = tip
                    return
                result = remote.replay(git, head, tip, check=recheck_versions(reg))
                if result.base is None:
                    raise GitError(
                        f"the gateway's branch and {self.upstream_name} share no history",
                        action="serve a clone of the remote (`git clone URL`)",
                    )
                up.move_branch(git, head, result.new_head)
                self.base = tip
            finally:
                lock.release()  # type: ignore[attr-defined]
            self._settle(
                git,
                dict(result.applied),
                result.already,
                [(c.commit, c.subject, _describe(c)) for c in result.conflicts],
            )

    def _settle(
        self,
        git: Git,
        moved: dict[str, str],
        already: list[str],
        dropped: list[tuple[str, str, str]],
    ) -> None:
        """After a replay: waiting writes follow their commits to the new ones, writes whose
        change upstream holds already are done, and those left out are answered 409; a commit
        left out that no write waits for (ack local, a restart) is kept on a ref and logged."""
        left_out = {sha: (subject, why) for sha, subject, why in dropped}
        done = set(already)
        finished: list[Ticket] = []
        with self._state:
            kept: list[Ticket] = []
            for ticket in self._tickets:
                if ticket.sha in left_out:
                    _, why = left_out.pop(ticket.sha)
                    self.conflicts += 1
                    ticket.done.set_exception(self._conflict(why))
                elif ticket.sha in done:
                    finished.append(ticket)
                else:
                    ticket.sha = moved.get(ticket.sha, ticket.sha)
                    kept.append(ticket)
            self._tickets = kept
        for ticket in finished:
            ticket.done.set_result(None)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        for sha, (subject, why) in left_out.items():
            self.conflicts += 1
            ref = up.keep_ref(git, "conflicts", sha, f"{stamp}-{sha[:12]}")
            log.error(
                "gateway: commit %s (%s) conflicts with %s: %s; left out, kept at %s",
                sha[:12],
                subject,
                self.upstream_name,
                why,
                ref,
            )

    def _conflict(self, why: str) -> up.UpstreamConflict:
        return up.UpstreamConflict(
            f"this write conflicts with a change pushed to {self.upstream_name} meanwhile: "
            f"{why}; nothing of it was kept",
            action="read the record again and repeat the change on what is there now",
        )

    @property
    def upstream_name(self) -> str:
        u = self.upstream
        return f"{u.remote}/{u.branch}" if u else "the remote"

    def _push(self, git: Git) -> None:
        assert self.upstream is not None
        with self.guard:
            target = git.current_head()
        base = self.base
        if target is None or target == base:
            return
        self._budget.attempted()
        self.pushes += 1
        began = time.monotonic()
        try:
            pushed_ok = remote.push(git, self.upstream, target)
        except GitError as exc:  # unreachable, or refused (a protected branch): a 503
            log.error("gateway: %s", exc.message)
            self.unavailable = _unavailable(exc)
            self._fail_waiting(git, self.unavailable)
            return
        if not pushed_ok:
            self.rejected += 1
            log.info("gateway: %s moved meanwhile; replaying and pushing again", self.upstream_name)
            tip = self._fetch(git)
            if self.unavailable is None:
                self._integrate(git, tip)
            return
        pushed = {sha for sha, _ in up.subjects(git, base, target)}
        self.base = target
        self.pushed_commits += len(pushed)
        self.last_push = datetime.now(UTC)
        with self._state:
            done = [t for t in self._tickets if t.sha in pushed]
            self._tickets = [t for t in self._tickets if t.sha not in pushed]
        for ticket in done:
            ticket.done.set_result(None)
        log.info(
            "gateway: pushed %d commit(s) to %s in %.2f s (%d acknowledged; last fetch %.2f s)",
            len(pushed),
            self.upstream_name,
            time.monotonic() - began,
            len(done),
            self._fetch_took,
        )

    def _fail_waiting(self, git: Git, problem: RemoteUnavailable) -> None:
        """With ack remote: the writes waiting for a push are answered 503 and their commits
        taken back (a 503 leaves nothing, so a client may simply retry)."""
        with self._state:
            waiting, self._tickets = self._tickets, []
        if not waiting:
            return
        error = RemoteUnavailable(
            f"the registry's remote is unavailable, so this write was not kept: {problem.message}",
            action="retry later; writes are accepted again once the remote answers",
        )
        shas = {t.sha for t in waiting}
        with self.guard:
            reg = self._registry()
            lock = reg.write_lock()
            try:
                head = git.current_head()
                if head is not None and self.base is not None and head != self.base:
                    result = remote.replay(git, head, self.base, leave_out=shas)
                    up.move_branch(git, head, result.new_head)
                    self._settle(
                        git,
                        dict(result.applied),
                        result.already,
                        [(c.commit, c.subject, _describe(c)) for c in result.conflicts],
                    )
            finally:
                lock.release()  # type: ignore[attr-defined]
        for ticket in waiting:
            ticket.done.set_exception(error)
        log.error("gateway: %d write(s) answered 503 and taken back", len(waiting))

    # -- what reads see ---------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        git = self._git()
        head = git.current_head()
        tracking = git.resolve_commit(self.upstream.tracking) if self.upstream else None
        ahead, behind = remote.counts(git, head, tracking) if head else (0, 0)
        with self._state:
            waiting = len(self._tickets)
        return {
            "remote": self.upstream.remote if self.upstream else None,
            "branch": self.upstream.branch if self.upstream else None,
            "reachable": self.unavailable is None,
            "problem": self.unavailable.message if self.unavailable else None,
            "upstream_commit": self.base,
            "head": head,
            "ahead": ahead,
            "behind": behind,
            "ack": self.settings.ack,
            "waiting_writes": waiting,
            "pushes": self.pushes,
            # attempts in the last 60 s: the figure the push budget bounds
            "pushes_last_minute": self._budget.last_minute(),
            "pushed_commits": self.pushed_commits,
            "rejected_pushes": self.rejected,
            "conflicts": self.conflicts,
            "push_slot_seconds": self.settings.slot,
            "uptime_seconds": round(time.monotonic() - self.started, 3),
            "seconds_since_fetch": (
                round(time.monotonic() - self.last_fetch, 3) if self.last_fetch else None
            ),
            "last_push": self.last_push.isoformat() if self.last_push else None,
        }


def _unavailable(exc: GitError) -> RemoteUnavailable:
    if isinstance(exc, RemoteUnavailable):
        return exc
    return RemoteUnavailable(exc.message, action=exc.action)


def _describe(c: remote.Conflicted) -> str:
    parts = []
    for f in c.files:
        by = f.theirs.commits[0] if f.theirs.commits else None
        parts.append(f"{f.path} (changed upstream by {by})" if by else f.path)
    return "; ".join(parts + c.problems) or c.subject
