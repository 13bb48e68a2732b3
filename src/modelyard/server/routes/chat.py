"""The chat assistant: answers questions about the registry. It only reads, so it is open
like every other read."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from modelyard.chat.assistant import answer
from modelyard.chat.response import ChatResponse
from modelyard.domain.requests import ChatRequest
from modelyard.server.routes.common import Access, respond
from modelyard.server.schemas import NOT_FOUND

TAG = "Chat Assistant"
reads = APIRouter(tags=[TAG])
writes = APIRouter(tags=[TAG])


@reads.post("/chat", summary="Chat", response_model=ChatResponse, responses=NOT_FOUND)
async def chat(access: Access, body: ChatRequest) -> JSONResponse:
    """Ask the assistant about recipes, models and runs; `recipe_id` focuses it on one
    recipe, and the answer's `context` sent back continues the conversation."""
    return respond(await access.read(answer, body))
