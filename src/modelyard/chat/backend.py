"""The optional model backend: an OpenAI-compatible chat-completions endpoint.

Configured from the environment (docs/chat.md):

- `MODELYARD_CHAT_BASE_URL`  e.g. `http://127.0.0.1:8080/v1` (unset: offline only)
- `MODELYARD_CHAT_MODEL`     the model name sent in the request
- `MODELYARD_CHAT_API_KEY`   sent as `Authorization: Bearer ...` when set
- `MODELYARD_CHAT_TIMEOUT`   seconds for the whole call (default 20)

The offline answer's records go to the model as context and its reply replaces the
offline text; references and next steps stay the offline ones. A timeout, an HTTP or
protocol error, an empty reply, or a reply naming an id this registry does not hold
gives the offline answer instead, with a note saying why.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from typing import Any

import httpx

from modelyard.chat.knowledge import Knowledge
from modelyard.chat.response import ChatResponse
from modelyard.chat.understand import ids_mentioned
from modelyard.domain.requests import ChatRequest

SYSTEM_PROMPT = (
    "You answer questions about a modelyard ML model registry. Use only the records and the "
    "draft answer given below: never state an id, number, version or command that is not in "
    "them. Cite record ids exactly as written. If the records do not answer the question, say "
    "so plainly. Answer concisely in plain text."
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


def maybe_rewrite(
    kb: Knowledge, req: ChatRequest, offline: ChatResponse, settings: Settings | None = None
) -> ChatResponse:
    """The offline answer, or the model's reply with the offline answer's references."""
    settings = settings or Settings.from_env()
    if settings is None or not offline.answered:
        return offline
    try:
        text = complete(settings, messages(kb, req, offline))
        unknown = sorted({i for i in ids_mentioned(text) if not kb.known(i)})
        if unknown:
            # not repeated here: the response must not carry ids the registry does not hold
            raise BackendFailed(
                f"the reply named {len(unknown)} id(s) that are not in the registry"
            )
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


def records(kb: Knowledge, offline: ChatResponse) -> list[dict[str, Any]]:
    """The cited records as JSON, the context the model may use."""
    out: list[dict[str, Any]] = []
    for ref in offline.references[:20]:
        record: Any = None
        if ref.type == "recipe":
            record = kb.recipes[ref.id].model_dump(mode="json")
        elif ref.type == "model":
            record = kb.models[ref.id].model_dump(mode="json")
        elif ref.type == "run":
            run = kb.run(ref.id)
            record = run.model_dump(mode="json") if run else None
        out.append({"type": ref.type, "id": ref.id, "title": ref.title, "record": record})
    return out


def messages(kb: Knowledge, req: ChatRequest, offline: ChatResponse) -> list[dict[str, str]]:
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
    context = json.dumps(
        {
            "records": records(kb, offline),
            "draft_answer": offline.reply,
            "next_steps": [s.cli for s in offline.next_steps],
        },
        ensure_ascii=False,
    )
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "system", "content": f"Registry records and draft answer (JSON):\n{context}"},
        *history,
        {"role": "user", "content": req.message},
    ]


def complete(settings: Settings, msgs: list[dict[str, str]]) -> str:
    """One chat-completions call; BackendFailed on any failure, including the time limit."""
    headers = {"Content-Type": "application/json"}
    if settings.api_key:
        headers["Authorization"] = f"Bearer {settings.api_key}"
    body = {"model": settings.model, "messages": msgs, "temperature": 0}
    # httpx's timeout bounds each phase; the deadline bounds the whole call, so a server
    # that trickles bytes cannot hold the answer past the limit
    deadline = time.monotonic() + settings.timeout
    try:
        with (
            httpx.Client(timeout=httpx.Timeout(settings.timeout), trust_env=False) as client,
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
        text = json.loads(content)["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise BackendFailed("the reply is not a chat completion") from None
    if not isinstance(text, str) or not text.strip():
        raise BackendFailed("the reply is empty")
    return text.strip()
