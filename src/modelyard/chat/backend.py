"""The optional model backend: an OpenAI-compatible chat-completions endpoint.

Configured from the environment (docs/chat.md):

- `MODELYARD_CHAT_BASE_URL`  e.g. `http://127.0.0.1:8080/v1` (unset: offline only)
- `MODELYARD_CHAT_MODEL`     the model name sent in the request
- `MODELYARD_CHAT_API_KEY`   sent as `Authorization: Bearer ...` when set
- `MODELYARD_CHAT_TIMEOUT`   seconds for the whole call (default 20)

The model answers through tools (function calling, chat/tools.py): the same registry
reads as the MCP server's, and the offline answer itself. Its reply replaces the offline
text only when every id, number, date, version and command in it is in what the tools
returned (chat/grounding.py); references and next steps stay the offline ones. A timeout,
an HTTP or protocol error, an empty reply, or an ungrounded reply gives the offline answer
instead, with a note saying why.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from typing import Any

import httpx

from modelyard.chat import grounding, tools
from modelyard.chat.knowledge import Knowledge
from modelyard.chat.response import ChatResponse
from modelyard.domain.requests import ChatRequest

SYSTEM_PROMPT = (
    "You answer questions about a modelyard ML model registry. Call the tools to read the "
    "registry; `offline_answer` gives the registry assistant's own answer and commands. State "
    "only ids, numbers, dates, versions and commands exactly as the tools returned them: a "
    "reply with anything else is discarded. If the tools do not answer the question, say so "
    "plainly. Answer concisely in plain text."
)


@dataclass(frozen=True)
class Settings:
    base_url: str
    model: str
    api_key: str | None
    timeout: float

    @classmethod
    def from_env(cls) -> Settings | None:
        base = os.environ.get("MODELYARD_CHAT_BASE_URL", "").strip()
        if not base:
            return None
        try:
            timeout = float(os.environ.get("MODELYARD_CHAT_TIMEOUT", "20"))
        except ValueError:
            timeout = 20.0
        return cls(
            base.rstrip("/"),
            os.environ.get("MODELYARD_CHAT_MODEL", "").strip() or "default",
            os.environ.get("MODELYARD_CHAT_API_KEY") or None,
            timeout,
        )


class BackendFailed(Exception):
    """The model backend gave no usable reply."""


MAX_ROUNDS = 6  # tool-call rounds before the model must answer


def maybe_rewrite(
    kb: Knowledge, req: ChatRequest, offline: ChatResponse, settings: Settings | None = None
) -> ChatResponse:
    """The offline answer, or the model's answer through the tools, checked: every id,
    number, date, version and command it states must be in what the tools returned."""
    settings = settings or Settings.from_env()
    if settings is None or not offline.answered:
        return offline
    try:
        text, returned = converse(settings, kb, req, offline)
        problem = grounding.problem(kb, text, returned, req.message)
        if problem:
            raise BackendFailed(problem)
    except BackendFailed as exc:
        return offline.model_copy(
            update={"notes": [*offline.notes, f"model backend not used: {exc}"]}
        )
    context = dict(offline.context)
    turns = list(context.get("turns", []))
    if turns:
        turns[-1] = {"role": "assistant", "content": text}
        context["turns"] = turns
    return offline.model_copy(update={"reply": text, "source": "model", "context": context})


def converse(
    settings: Settings, kb: Knowledge, req: ChatRequest, offline: ChatResponse
) -> tuple[str, list[str]]:
    """The model's reply after the tool calls it makes, and every tool result it was given."""
    msgs: list[dict[str, Any]] = messages(req)
    offline_json = {"reply": offline.reply, "commands": [s.cli for s in offline.next_steps]}
    returned: list[str] = []
    tools.definitions()  # built before the clock starts
    deadline = time.monotonic() + settings.timeout
    for _ in range(MAX_ROUNDS):
        message = complete(settings, msgs, deadline)
        calls = message.get("tool_calls") or []
        if not calls:
            text = message.get("content")
            if not isinstance(text, str) or not text.strip():
                raise BackendFailed("the reply is empty")
            return text.strip(), returned
        msgs.append(
            {"role": "assistant", "content": message.get("content") or "", "tool_calls": calls}
        )
        for c in calls:
            try:
                name, arguments, call_id = (
                    c["function"]["name"],
                    c["function"].get("arguments"),
                    c["id"],
                )
            except (KeyError, TypeError):
                raise BackendFailed("a tool call is malformed") from None
            result = tools.call(kb.reg, str(name), str(arguments or "{}"), offline_json)
            returned.append(result)
            msgs.append({"role": "tool", "tool_call_id": call_id, "content": result})
    raise BackendFailed(f"no answer after {MAX_ROUNDS} rounds of tool calls")


def messages(req: ChatRequest) -> list[dict[str, Any]]:
    turns = (
        [t for t in req.context.get("turns", []) if isinstance(t, dict)][-6:]
        if isinstance(req.context.get("turns"), list)
        else []
    )
    history = [
        {"role": t["role"], "content": t["content"]}
        for t in turns
        if t.get("role") in ("user", "assistant") and isinstance(t.get("content"), str)
    ]
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        *history,
        {"role": "user", "content": req.message},
    ]


def complete(settings: Settings, msgs: list[dict[str, Any]], deadline: float) -> dict[str, Any]:
    """One chat-completions call offering the tools; the reply's message. BackendFailed on any
    failure, including the time limit of the whole conversation."""
    headers = {"Content-Type": "application/json"}
    if settings.api_key:
        headers["Authorization"] = f"Bearer {settings.api_key}"
    body = {
        "model": settings.model,
        "messages": msgs,
        "tools": tools.definitions(),
        "tool_choice": "auto",
        "temperature": 0,
    }
    left = deadline - time.monotonic()
    if left <= 0:
        raise BackendFailed(f"no reply within {settings.timeout:g} s")
    # httpx's timeout bounds each phase; the deadline bounds the whole call, so a server
    # that trickles bytes cannot hold the answer past the limit
    try:
        with (
            httpx.Client(timeout=httpx.Timeout(left), trust_env=False) as client,
            client.stream(
                "POST", f"{settings.base_url}/chat/completions", json=body, headers=headers
            ) as resp,
        ):
            chunks = []
            for chunk in resp.iter_bytes():
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout("deadline")
            content = b"".join(chunks)
    except httpx.TimeoutException:
        raise BackendFailed(f"no reply within {settings.timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise BackendFailed(f"request failed: {type(exc).__name__}") from None
    if resp.status_code != 200:
        raise BackendFailed(f"HTTP {resp.status_code}")
    try:
        message = json.loads(content)["choices"][0]["message"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise BackendFailed("the reply is not a chat completion") from None
    if not isinstance(message, dict):
        raise BackendFailed("the reply is not a chat completion")
    return message
