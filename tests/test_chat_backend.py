"""The optional model backend, against a small OpenAI-compatible server on 127.0.0.1 that
issues tool calls: the model answers through the registry's tools, its reply is used with
the offline references when every id, number and command in it was returned by a tool;
timeouts, errors, invented ids and numbers no tool returned fall back to the offline answer."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from chat_checks import check_grounded
from chat_registry import NOW, built
from modelyard.chat.assistant import answer
from modelyard.storage.registry import Registry


class FakeModel:
    """What the fake endpoint answers next, and what it was sent."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.reply = ""
        # tool calls to make, one round per entry, before replying with `reply`
        self.script: list[list[tuple[str, dict[str, Any]]]] = []
        self.requests: list[dict[str, Any]] = []
        self.release = threading.Event()


def _handler(state: FakeModel) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            state.requests.append(
                {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
            )
            if state.mode == "hang":
                state.release.wait(10)  # longer than the client's limit; released at teardown
                return
            if state.mode == "trickle":  # a byte at a time: no single read waits long
                self.send_response(200)
                self.send_header("Content-Length", "1000")
                self.end_headers()
                for _ in range(1000):
                    if state.release.wait(0.1):
                        return
                    self.wfile.write(b" ")
                    self.wfile.flush()
                return
            if state.mode == "error":
                self._send(500, b'{"error": {"message": "overloaded"}}')
                return
            if state.mode == "garbage":
                self._send(200, b"<html>not json</html>")
                return
            message: dict[str, Any] = {"role": "assistant", "content": state.reply}
            rounds = sum(1 for m in body["messages"] if m.get("role") == "tool" and m)
            done = sum(1 for m in body["messages"] if m.get("tool_calls"))
            if done < len(state.script):
                calls = state.script[done]
                message = {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": f"call_{done}_{i}_{rounds}",
                            "type": "function",
                            "function": {"name": name, "arguments": json.dumps(args)},
                        }
                        for i, (name, args) in enumerate(calls)
                    ],
                }
            payload = {
                "id": "cmpl-1",
                "object": "chat.completion",
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "tool_calls" if message.get("tool_calls") else "stop",
                        "message": message,
                    }
                ],
            }
            self._send(200, json.dumps(payload).encode())

        def _send(self, status: int, data: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    with built(tmp_path_factory.mktemp("chat")) as reg:
        return reg


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeModel]:
    state = FakeModel()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("MODELYARD_CHAT_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}/v1")
    monkeypatch.setenv("MODELYARD_CHAT_MODEL", "fake-model")
    monkeypatch.setenv("MODELYARD_CHAT_API_KEY", "sk-test")
    # room for a loaded machine; the tests of a backend that never answers set 0.5 s
    monkeypatch.setenv("MODELYARD_CHAT_TIMEOUT", "10")
    monkeypatch.setenv("GIT_AUTHOR_DATE", NOW)
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


QUESTION = "how is model_retail_pricing_prod doing?"


def test_the_model_reply_is_used_with_the_offline_references(small, fake, monkeypatch):
    with monkeypatch.context() as mp:
        mp.delenv("MODELYARD_CHAT_BASE_URL")
        offline = answer(small, {"message": QUESTION})
    assert offline.source == "offline" and fake.requests == []
    snap = next(r.id for r in offline.references if r.type == "snapshot")
    fake.script = [[("offline_answer", {})]]
    fake.reply = f"model_retail_pricing_prod has a PSI drift alert (0.27) in snapshot {snap}."
    resp = answer(
        small, {"message": QUESTION, "context": {"turns": [{"role": "user", "content": "hi"}]}}
    )
    check_grounded(small, resp, QUESTION)
    assert resp.source == "model" and resp.reply == fake.reply and resp.response == fake.reply
    assert resp.references == offline.references and resp.next_steps == offline.next_steps
    assert resp.context["turns"][-1] == {"role": "assistant", "content": fake.reply}
    sent = fake.requests[-1]
    assert sent["path"] == "/v1/chat/completions" and sent["auth"] == "Bearer sk-test"
    assert sent["body"]["model"] == "fake-model"
    first = fake.requests[0]["body"]["messages"]
    assert first[-1] == {"role": "user", "content": QUESTION}
    assert {"role": "user", "content": "hi"} in first
    offered = {t["function"]["name"] for t in sent["body"]["tools"]}
    assert {"list_models", "get_run", "resolve_manifest", "history", "offline_answer"} <= offered
    tool_result = json.loads(sent["body"]["messages"][-1]["content"])
    assert sent["body"]["messages"][-1]["role"] == "tool"
    assert tool_result["reply"] == offline.reply


@pytest.mark.parametrize(
    ("mode", "reply", "why"),
    [
        (
            "ok",
            "model_retail_pricing_prod is fine; see run_20240101000000_abcdefgh and model_ghost.",
            "the reply named 2 id(s) that are not in the registry",
        ),
        ("ok", "   ", "the reply is empty"),
        ("error", "", "HTTP 500"),
        ("garbage", "", "the reply is not a chat completion"),
        ("hang", "", "no reply within 0.5 s"),
        ("trickle", "", "no reply within 0.5 s"),
    ],
)
def test_failures_fall_back_to_the_offline_answer(small, fake, mode, reply, why, monkeypatch):
    fake.mode, fake.reply = mode, reply
    # a short limit only where the limit is what is tested: on a loaded machine a prompt
    # answer can take longer than half a second
    if mode in ("hang", "trickle"):
        monkeypatch.setenv("MODELYARD_CHAT_TIMEOUT", "0.5")
    offline_env = answer(small, {"message": QUESTION})  # the backend fails here too
    assert offline_env.source == "offline"
    assert offline_env.notes == [f"model backend not used: {why}"]
    assert "model_retail_pricing_prod" in offline_env.reply and offline_env.answered
    check_grounded(small, offline_env, QUESTION)
    if mode in ("hang", "trickle"):
        assert (
            not fake.release.is_set()
        )  # the answer came back while the server still held the call


def test_an_unreachable_backend_falls_back(small, monkeypatch):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("MODELYARD_CHAT_BASE_URL", f"http://127.0.0.1:{port}/v1")
    resp = answer(small, {"message": QUESTION})
    assert resp.source == "offline" and resp.notes == [
        "model backend not used: request failed: ConnectError"
    ]


def test_declines_never_go_to_the_backend(small, fake):
    fake.reply = "Sunny, 21 degrees."
    resp = answer(small, {"message": "what's the weather in Paris?"})
    assert not resp.answered and resp.source == "offline" and fake.requests == []


def test_without_configuration_nothing_is_called(small, fake, monkeypatch):
    monkeypatch.delenv("MODELYARD_CHAT_BASE_URL")
    resp = answer(small, {"message": QUESTION})
    assert resp.source == "offline" and resp.notes == [] and fake.requests == []


def test_the_model_answers_through_the_registry_tools(small, fake):
    from modelyard.ops import models

    prod = [m.id for m in models.list_models(small, status="production").models]
    fake.script = [[("list_models", {"status": "production"})]]
    fake.reply = f"{len(prod)} models are in production: {', '.join(prod)}."
    resp = answer(small, {"message": "which models are in production?"})
    assert resp.source == "model", resp.notes
    assert resp.reply == fake.reply
    check_grounded(small, resp, "which models are in production?")
    # the tool ran over ops: what the model read back is the registry's listing
    tool = fake.requests[-1]["body"]["messages"][-1]
    assert tool["role"] == "tool" and tool["tool_call_id"].startswith("call_0_0")
    assert [m["id"] for m in json.loads(tool["content"])["models"]] == prod


def test_a_number_no_tool_returned_gives_the_offline_answer(small, fake):
    from modelyard.ops import runs

    run = runs.list_runs(small, status="succeeded").runs[0]
    metric, value = sorted(run.metrics_json.items())[0]
    assert value != 0.5
    fake.script = [[("get_run", {"run_id": run.id})]]
    fake.reply = f"{run.id} reports {metric} 0.5."
    question = f"what did {run.id} measure?"
    resp = answer(small, {"message": question})
    assert resp.source == "offline"
    assert resp.notes == ["model backend not used: the reply states 0.5, which no tool returned"]
    assert "0.5." not in resp.reply
    # the same reply with the number the tool returned is used
    fake.reply = f"{run.id} reports {metric} {value}."
    resp = answer(small, {"message": question})
    assert resp.source == "model" and resp.reply == fake.reply, resp.notes


def test_a_command_or_id_no_tool_returned_gives_the_offline_answer(small, fake):
    from modelyard.ops import models

    one = models.list_models(small, status="production").models[0].id
    fake.script = [[("get_model", {"model_id": one})]]
    fake.reply = f"Run `modelyard models update {one} --status retired` now."
    resp = answer(small, {"message": f"tell me about {one}"})
    assert resp.source == "offline"
    assert resp.notes == ["model backend not used: the reply gives a command that no tool returned"]
    other = next(m.id for m in models.list_models(small).models if m.id != one)
    fake.reply = f"{one} is in production, like {other}."
    resp = answer(small, {"message": f"tell me about {one}"})
    assert resp.source == "offline"
    assert resp.notes == [
        f"model backend not used: the reply names {other}, which no tool returned"
    ]


def test_a_tool_error_is_read_back_to_the_model(small, fake):
    fake.script = [[("get_model", {"model_id": "model_nope"}), ("get_model", {"bad": 1})]]
    fake.reply = "I could not find that model."
    resp = answer(small, {"message": "how is model_retail_pricing_prod doing?"})
    assert resp.source == "model"
    results = [m for m in fake.requests[-1]["body"]["messages"] if m["role"] == "tool"]
    assert "Model not found: model_nope" in json.loads(results[0]["content"])["error"]
    assert "invalid arguments" in json.loads(results[1]["content"])["error"]
