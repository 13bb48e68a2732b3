"""Named points in a write where a test can have the process killed (SIGKILL), to prove that a
crash at any of them leaves nothing for a person to repair.

`MODELYARD_FAILPOINT=after-advance` kills the process when it reaches that point; unset,
each point costs one dictionary lookup. The points, in the order a mutation meets them:
`before-journal`, `after-journal`, `after-advance`, `mid-worktree` (after the first file),
`after-worktree`, `after-index`.
"""

from __future__ import annotations

import os

ENV = "MODELYARD_FAILPOINT"
POINTS = (
    "before-journal",
    "after-journal",
    "after-advance",
    "mid-worktree",
    "after-worktree",
    "after-index",
)


def hit(name: str) -> None:
    if os.environ.get(ENV) == name:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)
