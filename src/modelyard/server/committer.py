"""The server's writes, made by one thread, one after another.

A write request waits in the event loop for its turn (server/access.py) and is handed to
the committer's queue. The committer takes the writes that are queued, and makes them in
the order they came, each its own commit, under one hold of the registry's write lock and
one journal (storage/mutation.py `WriteGroup`): the lock is not handed from thread to
thread between two writes, and the journal's fsync is paid once for all of them. Each
write's answer (its result or its error) goes to its own request the moment its commit is
on the branch, not at the end of the group.

A group ends when the queue is empty, or after MAX_WRITES writes or MAX_SECONDS, so the
gateway's branch moves, git's index update and other processes' writers get their turn.
"""

from __future__ import annotations

import concurrent.futures
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from modelyard.storage.mutation import WriteGroup
from modelyard.storage.registry import Registry

T = TypeVar("T")
log = logging.getLogger("modelyard.server")
MAX_WRITES = 64
MAX_SECONDS = 0.25

Job = tuple[Callable[[Registry], Any], "concurrent.futures.Future[Any]"]


class Committer:
    """One thread making every write of a server. `guard` is held for each group (the
    gateway holds it to move the branch)."""

    def __init__(
        self,
        open_registry: Callable[[], Registry],
        guard: threading.Lock,
        max_writes: int = MAX_WRITES,
        max_seconds: float = MAX_SECONDS,
    ) -> None:
        self._open = open_registry
        self._guard = guard
        self.max_writes = max_writes
        self.max_seconds = max_seconds
        self._queue: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()
        self.groups = 0  # groups made, and writes made in them: what /healthz could tell
        self.written = 0

    def submit(self, write: Callable[[Registry], T]) -> concurrent.futures.Future[T]:
        """Queue `write(registry)`; its future holds what it returned or raised."""
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._ensure_thread()
        self._queue.put((write, future))
        return future

    def stop(self) -> None:
        """Let the thread end once the writes queued before this are made."""
        with self._start:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()

    def _ensure_thread(self) -> None:
        with self._start:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="modelyard-committer", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            if not self._group(job):
                return

    def _group(self, first: Job) -> bool:
        """Make `first` and the writes queued behind it in one group; False once told to stop."""
        jobs = 0
        with self._guard:
            try:
                group = WriteGroup(self._open())
                group.__enter__()
            except BaseException as exc:  # the lock timed out, or the registry is gone
                _answer(first, exc)
                return True
            ended = time.monotonic() + self.max_seconds
            try:
                job: Job | None = first
                while job is not None:
                    self._make(job)
                    jobs += 1
                    if jobs >= self.max_writes or time.monotonic() >= ended:
                        break
                    try:
                        job = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if job is None:
                        return False
            finally:
                try:
                    group.__exit__(None, None, None)
                except Exception:  # the commits are made and answered; the journal stays
                    log.exception("could not end a group of writes")
                self.groups += 1
                self.written += jobs
        return True

    def _make(self, job: Job) -> None:
        write, future = job
        if not future.set_running_or_notify_cancel():
            return
        try:
            result = self._call(write)
        except BaseException as exc:
            future.set_exception(exc)
        else:
            future.set_result(result)

    def _call(self, write: Callable[[Registry], T]) -> T:
        return write(self._open())


def _answer(job: Job, exc: BaseException) -> None:
    _write, future = job
    if future.set_running_or_notify_cancel():
        future.set_exception(exc)
