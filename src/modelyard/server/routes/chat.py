"""The chat assistant: answers questions about the registry. It only reads, so it is open
like every other read."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse

from modelyard.domain.requests import ChatRequest
from modelyard.server.routes.common import Access, respond
from modelyard.server.schemas import NOT_FOUND, error

TAG = "Chat Assistant"
reads = APIRouter(tags=[TAG])
writes = APIRouter(tags=[TAG])

MISSING = "The chat assistant is not available: this build of modelyard has no modelyard.chat.assistant"


@reads.post(
    "/chat", summary="Chat",
    responses={**NOT_FOUND, 501: error("This build has no chat assistant")},
)
async def chat(access: Access, body: ChatRequest) -> JSONResponse:
    """Ask the assistant about recipes, models and runs; `recipe_id` focuses it on one recipe."""
    try:
        from modelyard.chat.assistant import answer
    except ModuleNotFoundError as exc:
        if exc.name and (exc.name == "modelyard.chat" or exc.name.startswith("modelyard.chat.")):
            raise HTTPException(501, MISSING) from None
        raise
    return respond(await access.read(answer, body))
