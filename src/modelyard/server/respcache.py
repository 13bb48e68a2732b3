"""Answers to reads, kept per commit.

A server that reads the committed state (the default) answers every GET from HEAD alone, so
the same URL at the same commit always gets the same answer. The answer is kept, keyed by
HEAD's commit and the URL, and served again until HEAD moves: a commit by this server, by
the CLI or plain git, or a pull changes the key, so nothing is ever served stale and
nothing needs invalidating. HEAD is read from git's files on every request (two small
reads). Each answer says which commit it reflects in `X-Modelyard-Commit`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"x-modelyard-commit"
MAX_ENTRIES = 2048
MAX_BODY = 1 << 20  # larger answers are not kept
_Start = tuple[int, tuple[tuple[bytes, bytes], ...]]  # status and headers


class CommitCache:
    """ASGI middleware: GET answers under `prefix`, cached per (commit, path, query)."""

    def __init__(self, app: ASGIApp, head: Callable[[], str | None], prefix: str) -> None:
        self.app = app
        self.head = head
        self.prefix = prefix
        self._items: OrderedDict[tuple[str, str, bytes], tuple[_Start, bytes]] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not scope["path"].startswith(self.prefix)
        ):
            await self.app(scope, receive, send)
            return
        head = self.head()
        if head is None:
            await self.app(scope, receive, send)
            return
        key = (head, scope["path"], scope.get("query_string", b""))
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
            (status, headers), body = found
            # fresh objects: outer middleware (CORS) adds its headers to the message it is sent
            await send({"type": "http.response.start", "status": status, "headers": list(headers)})
            await send({"type": "http.response.body", "body": body})
            return
        start_message: dict[str, Any] | None = None
        chunks: list[bytes] = []
        keep = True

        async def capture(message: Message) -> None:
            nonlocal start_message, keep
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (HEADER, head.encode())]
                message = {**message, "headers": headers}
                start_message = {"status": message["status"], "headers": tuple(headers)}
                keep = message["status"] < 500
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                keep = keep and sum(map(len, chunks)) <= MAX_BODY
                if not message.get("more_body") and keep and start_message is not None:
                    # copied now, before outer middleware changes the message it is sent
                    start = (start_message["status"], tuple(start_message["headers"]))
                    self._store(key, start, b"".join(chunks))
            await send(message)

        await self.app(scope, receive, capture)

    def _store(self, key: tuple[str, str, bytes], start: _Start, body: bytes) -> None:
        self._items[key] = (start, body)
        self._items.move_to_end(key)
        while len(self._items) > MAX_ENTRIES:
            self._items.popitem(last=False)
