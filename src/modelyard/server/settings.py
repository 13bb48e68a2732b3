"""How the server is configured: the registry, who may write, CORS, body size, and where the
catalog is built. Read from options and environment variables in one place."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from modelyard.errors import InvalidValue

if TYPE_CHECKING:
    from modelyard.server.gateway_config import GatewaySettings

ENV_TOKENS = "MODELYARD_TOKENS"
ENV_TOKENS_FILE = "MODELYARD_TOKENS_FILE"
ENV_CORS = "MODELYARD_CORS_ORIGINS"
ENV_MAX_BODY = "MODELYARD_MAX_BODY_BYTES"

DEFAULT_MAX_BODY = 1024 * 1024


@dataclass(frozen=True)
class ServerSettings:
    """Everything `create_app` needs besides the registry itself."""

    tokens: frozenset[str] = frozenset()
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = DEFAULT_MAX_BODY
    # where the catalog is built; None: .git/modelyard/site, out of the working tree
    site_dir: Path | None = None
    # read the working tree (uncommitted edits too) rather than the committed state
    worktree: bool = False
    # a gateway to the git remote (`--remote`, server/gateway.py); None: commit locally only
    gateway: GatewaySettings | None = None

    @property
    def auth_required(self) -> bool:
        return bool(self.tokens)


def parse_tokens(text: str, source: str) -> frozenset[str]:
    """Tokens separated by commas or new lines; `#` starts a comment. Short tokens are refused
    because a guessable token is no protection."""
    tokens = set()
    for raw in text.replace(",", "\n").splitlines():
        token = raw.split("#", 1)[0].strip()
        if not token:
            continue
        if len(token) < 16:
            raise InvalidValue(
                f"{source}: a token must be at least 16 characters long (got {len(token)})"
            )
        if any(c.isspace() for c in token):
            raise InvalidValue(f"{source}: a token cannot contain spaces")
        tokens.add(token)
    return frozenset(tokens)


def load_tokens(
    tokens_file: str | os.PathLike[str] | None, registry_worktree: Path
) -> frozenset[str]:
    """Tokens from $MODELYARD_TOKENS and from a tokens file ($MODELYARD_TOKENS_FILE or the
    option). The file must lie outside the registry's repository, where it could be committed."""
    tokens: set[str] = set()
    env = os.environ.get(ENV_TOKENS)
    if env:
        tokens |= parse_tokens(env, f"${ENV_TOKENS}")
    path_text = tokens_file or os.environ.get(ENV_TOKENS_FILE)
    if path_text:
        path = Path(path_text).expanduser().resolve()
        worktree = registry_worktree.resolve()
        if path == worktree or worktree in path.parents:
            raise InvalidValue(
                f"tokens file {path} is inside the registry's repository {worktree}; "
                "keep it outside, where it cannot be committed"
            )
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidValue(f"cannot read tokens file {path}: {exc.strerror}") from None
        found = parse_tokens(text, str(path))
        if not found:
            raise InvalidValue(f"tokens file {path} holds no token")
        tokens |= found
    return frozenset(tokens)


def cors_from_env(given: tuple[str, ...]) -> tuple[str, ...]:
    if given:
        return given
    env = os.environ.get(ENV_CORS, "")
    return tuple(o.strip() for o in env.split(",") if o.strip())


def max_body_from_env(given: int | None) -> int:
    if given is not None:
        value = given
    else:
        text = os.environ.get(ENV_MAX_BODY)
        if not text:
            return DEFAULT_MAX_BODY
        try:
            value = int(text)
        except ValueError:
            raise InvalidValue(
                f"${ENV_MAX_BODY} must be a number of bytes (got {text!r})"
            ) from None
    if value < 1024:
        raise InvalidValue(f"the request body limit must be at least 1024 bytes (got {value})")
    return value


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and `localhost` are loopback; everything else (0.0.0.0 too) is not."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, settings: ServerSettings, insecure: bool) -> None:
    """Refuse to accept writes from the network without tokens, unless told `--insecure`."""
    if is_loopback(host) or settings.auth_required or insecure:
        return
    raise InvalidValue(
        f"refusing to listen on {host} without write tokens: "
        "anyone who can reach it could change the registry. "
        f"Set ${ENV_TOKENS} or --tokens-file, or pass --insecure if the network is trusted"
    )
