"""The README's tour, as commands, and a runner that runs them as written in a folder: each
line in bash, `cd` carried over to the lines after it, `modelyard serve` started on a free
loopback port (the one word added) and asked for the recipes before the lines after it run."""

from __future__ import annotations

import json
import shlex
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from server_support import free_port

README = Path(__file__).resolve().parents[1] / "README.md"


def tour_lines(text: str | None = None) -> list[str]:
    """The commands of the README's `## A tour` block, continuations joined, comments gone."""
    text = README.read_text(encoding="utf-8") if text is None else text
    section = text.split("\n## A tour\n", 1)[1]
    block = section.split("```bash\n", 1)[1].split("\n```", 1)[0]
    lines: list[str] = []
    pending = ""
    for raw in block.splitlines():
        pending += raw.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        words = shlex.split(pending, comments=True)
        if words:
            lines.append(shlex.join(words))
        pending = ""
    return lines


def run_tour(folder: Path, env: dict[str, str], skip_install: bool = True) -> dict[str, str]:
    """Run the tour in `folder`; returns each command's output (stdout) by command line.
    A failing command fails with its output."""
    cwd = folder
    outputs: dict[str, str] = {}
    seconds: dict[str, float] = {}
    server: subprocess.Popen[bytes] | None = None
    try:
        for line in tour_lines():
            words = shlex.split(line)
            if skip_install and words[:2] == ["pip", "install"]:
                continue  # the caller installed modelyard already
            if words[0] == "cd":
                cwd = (cwd / words[1]).resolve()
                continue
            if words[:2] == ["modelyard", "serve"]:
                port = free_port()
                with (folder / "serve.log").open("wb") as log:
                    server = subprocess.Popen(
                        [*words, "--port", str(port)], cwd=cwd, env=env, stdout=log, stderr=log
                    )
                outputs[line] = _recipes(server, port, folder / "serve.log")
                continue
            started = time.monotonic()
            done = subprocess.run(
                ["bash", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
            )
            assert done.returncode == 0, (
                f"{line}\nexit {done.returncode}\n{done.stdout}{done.stderr}"
            )
            outputs[line] = done.stdout
            seconds[line] = time.monotonic() - started
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    for line, took in seconds.items():
        print(f"{took:5.1f} s  {line[:70]}")  # shown by pytest -s or on failure
    return outputs


def _recipes(server: subprocess.Popen[bytes], port: int, log: Path) -> str:
    """GET /api/ml-development/recipes from the server once it listens."""
    deadline = time.monotonic() + 30
    while True:
        assert server.poll() is None, f"serve exited {server.returncode}:\n{log.read_text()}"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            assert time.monotonic() < deadline, f"serve did not start:\n{log.read_text()}"
            time.sleep(0.1)
    url = f"http://127.0.0.1:{port}/api/ml-development/recipes"
    with urllib.request.urlopen(url, timeout=30) as resp:
        body = json.loads(resp.read())
    return json.dumps(body)
