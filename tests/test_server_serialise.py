"""Inside one server: reads run side by side, writes one at a time."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx
import pytest

from modelyard.ops import recipes, runs
from modelyard.server.app import create_app
from modelyard.storage.registry import Registry

API = "/api/ml-development"


async def fire(app: Any, calls: list[tuple[str, str, Any]]) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://server") as client:
        return await asyncio.gather(*[client.request(m, url, json=body) for m, url, body in calls])


def test_reads_run_side_by_side(
    reg: Registry, base_recipe: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    together = threading.Barrier(4, timeout=20)  # passes only with 4 reads in flight at once
    real = recipes.get_recipe

    def get(reg: Registry, recipe_id: str) -> Any:
        together.wait()
        return real(reg, recipe_id)

    monkeypatch.setattr(recipes, "get_recipe", get)
    responses = asyncio.run(
        fire(create_app(reg), [("GET", f"{API}/recipes/{base_recipe}", None)] * 4)
    )
    assert [r.status_code for r in responses] == [200] * 4


def test_writes_run_one_at_a_time(
    reg: Registry, base_recipe: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = {"now": 0, "most": 0}
    lock = threading.Lock()
    real = runs.create_run

    def create(reg: Registry, body: Any) -> Any:
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        try:
            time.sleep(0.02)  # room for another write to start, were writes not serialised
            return real(reg, body)
        finally:
            with lock:
                state["now"] -= 1

    monkeypatch.setattr(runs, "create_run", create)
    body = {"recipe_id": base_recipe, "recipe_version_id": "v1.0.0", "run_type": "train"}
    responses = asyncio.run(fire(create_app(reg), [("POST", f"{API}/runs", body)] * 8))
    assert [r.status_code for r in responses] == [201] * 8
    assert state["most"] == 1
