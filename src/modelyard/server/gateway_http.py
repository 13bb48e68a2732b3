"""What a gateway adds to the HTTP API: the upstream commit an answer reflects (a response
header) and `/healthz` with how far the clone is from upstream."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from modelyard.server.gateway import Gateway

HEADER = b"x-modelyard-upstream"


class UpstreamHeader:
    """ASGI middleware: answers under `prefix` name the upstream commit they reflect."""

    def __init__(self, app: ASGIApp, gateway: Gateway, prefix: str) -> None:
        self.app = app
        self.gateway = gateway
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return

        async def tagged(message: Message) -> None:
            base = self.gateway.base  # when the answer starts: a write's is after its push
            if message["type"] == "http.response.start" and base:
                headers = [*message.get("headers", []), (HEADER, base.encode())]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, tagged)


health = APIRouter()


@health.get("/healthz", include_in_schema=False)
async def healthz(request: Request) -> JSONResponse:
    """Whether the server answers, and as a gateway how far it is from upstream."""
    gateway: Gateway | None = getattr(request.app.state, "gateway", None)
    body: dict[str, Any] = {"status": "ok"}
    if gateway is not None:
        body["upstream"] = await anyio.to_thread.run_sync(gateway.health)
        if not body["upstream"]["reachable"]:
            body["status"] = "degraded"
    return JSONResponse(body)
