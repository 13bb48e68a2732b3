"""The chat response: the reply, the records it rests on, and next steps that work here.

Serialised with `model_dump(mode="json")` (the one serializer) it is the body of
`POST /api/ml-development/chat` and of `modelyard chat --json`; docs/chat.md documents it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, computed_field

from modelyard.domain.records import Response

RecordType = Literal["recipe", "version", "model", "run", "snapshot"]
Intent = Literal["find", "explain", "compare", "health", "howto", "decline"]


class Reference(Response):
    """A record the answer is based on."""

    type: RecordType
    id: str
    title: str = Field(description="A short human label, e.g. the record's name.")
    link: str = Field(description="The record's catalog page, relative to the site root.")
    api: str = Field(description="The HTTP API path that returns the record.")


class ApiCall(Response):
    """One HTTP call of the seed API, relative to the server's root."""

    method: Literal["GET", "POST", "PUT", "DELETE"]
    path: str
    body: dict[str, Any] | None = None


class NextStep(Response):
    """Something to do next, as a command line and as the equivalent API call."""

    title: str
    cli: str = Field(description="A complete `modelyard ...` command line (POSIX shell quoting).")
    api: ApiCall
    note: str | None = Field(None, description="What to fill in or check first, when anything.")


class ChatResponse(Response):
    """What the assistant answers."""

    reply: str = Field(
        description="The answer, as plain text (lines starting with `- ` are list items)."
    )
    intent: Intent = Field(
        description="What the question was understood as; `decline` when it cannot answer."
    )
    answered: bool = Field(description="False when the assistant says it cannot answer.")
    references: list[Reference] = Field(default_factory=list)
    next_steps: list[NextStep] = Field(default_factory=list)
    context: dict[str, Any] = Field(
        default_factory=dict,
        description="Send this back as the next request's `context` to continue the conversation.",
    )
    source: Literal["offline", "model"] = Field(
        "offline", description="`model` when a configured model backend wrote the reply."
    )
    notes: list[str] = Field(
        default_factory=list, description="Why a configured backend was not used, etc."
    )

    @computed_field(description="The same text as `reply`, under the name chat clients often read.")  # type: ignore[prop-decorator]
    @property
    def response(self) -> str:
        return self.reply
