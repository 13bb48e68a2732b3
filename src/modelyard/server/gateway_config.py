"""A gateway's settings: what `modelyard serve --remote` was told, resolved against the
environment, the registry's `remote:` settings and git (server/gateway.py uses them)."""

from __future__ import annotations

import os
import time
from collections import deque
from dataclasses import dataclass

from modelyard.domain.records import AckMode
from modelyard.errors import InvalidValue
from modelyard.ops.sync import remote_config
from modelyard.storage import remote
from modelyard.storage.registry import Registry

DEFAULT_INTERVAL = 10.0
DEFAULT_BUDGET = 6


@dataclass(frozen=True)
class GatewaySettings:
    """How a gateway talks to its remote (`modelyard serve --remote ...`)."""

    remote: str | None = None  # None: the branch's configured upstream remote, else origin
    branch: str | None = None  # None: the branch's configured upstream, else its own name
    ack: AckMode = AckMode.remote
    batch_interval: float = DEFAULT_INTERVAL  # seconds between pushes, at least
    push_budget: int = DEFAULT_BUDGET  # pushes a minute, at most (every attempt counts)
    fetch_interval: float | None = None  # None: the batching interval

    @property
    def slot(self) -> float:
        """The least time between two push attempts."""
        return max(self.batch_interval, 60.0 / self.push_budget)

    @property
    def fetch_every(self) -> float:
        return self.fetch_interval if self.fetch_interval is not None else self.batch_interval


ENV_ACK = "MODELYARD_ACK"


@dataclass(frozen=True)
class GatewayOptions:
    """What `modelyard serve` was told; None: not given."""

    remote: str | None = None
    branch: str | None = None
    ack: str | None = None
    batch_interval: float | None = None
    push_budget: int | None = None
    fetch_interval: float | None = None


def gateway_settings(reg: Registry, given: GatewayOptions) -> GatewaySettings:
    """A gateway's settings: each from the option, else its environment variable
    ($MODELYARD_REMOTE, ..._REMOTE_BRANCH, ..._BATCH_INTERVAL, ..._PUSH_BUDGET, ..._ACK), else
    the registry's `remote:` settings, else the default; the remote checked in git."""
    ack = given.ack or os.environ.get(ENV_ACK) or AckMode.remote
    if ack not in AckMode.__members__:
        allowed = " or ".join(f"`{m.value}`" for m in AckMode)
        raise InvalidValue(f"${ENV_ACK} must be {allowed} (got {ack!r})")
    config = remote_config(
        reg.settings,
        name=given.remote,
        branch=given.branch,
        batch_interval=given.batch_interval,
        push_budget=given.push_budget,
    )
    found = remote.resolve_upstream(reg.git, config.name, config.branch)
    return GatewaySettings(
        remote=found.remote,
        branch=found.branch,
        ack=AckMode(ack),
        batch_interval=config.batch_interval,
        push_budget=config.push_budget,
        fetch_interval=given.fetch_interval,
    )


class PushBudget:
    """The push attempts of the last minute: when the next may be made (a slot after the last,
    and no more than the budget in any 60 s; every attempt counts, a rejected one too)."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self._attempts: deque[float] = deque()

    def attempted(self) -> None:
        now = time.monotonic()
        self._attempts.append(now)
        while self._attempts and self._attempts[0] < now - 60.0:
            self._attempts.popleft()

    @property
    def last(self) -> float | None:
        """The monotonic time of the last attempt (None: none yet)."""
        return self._attempts[-1] if self._attempts else None

    def next_attempt(self) -> float:
        """The monotonic time at which the next push may be tried (0: now)."""
        if not self._attempts:
            return 0.0
        at = self._attempts[-1] + self.settings.slot
        if len(self._attempts) >= self.settings.push_budget:
            at = max(at, self._attempts[-self.settings.push_budget] + 60.0)
        return at

    def last_minute(self) -> int:
        """Attempts in the last 60 s: the figure the budget bounds."""
        since = time.monotonic() - 60.0
        return sum(1 for t in self._attempts if t > since)
