"""Who may write: a bearer token from the configured set, compared in constant time."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import HTTPException, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

bearer = HTTPBearer(
    auto_error=False,
    description="Writes need `Authorization: Bearer <token>` when the server has tokens "
    "($MODELYARD_TOKENS or --tokens-file).",
)


async def require_token(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]
) -> None:
    """Let a write through only with one of the server's tokens."""
    tokens: frozenset[str] = request.app.state.settings.tokens
    if not tokens:
        return
    if credentials is None:
        raise HTTPException(
            401,
            "This server requires a token for writes: send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    given = credentials.credentials.encode("utf-8")
    # compare with every token, so the time taken says nothing about which one came close
    ok = False
    for token in tokens:
        ok |= hmac.compare_digest(given, token.encode("utf-8"))
    if not ok:
        raise HTTPException(401, "Invalid token", headers={"WWW-Authenticate": "Bearer"})
