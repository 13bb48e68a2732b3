"""A crawler over the catalog, static (files on disk) and served (`modelyard serve`): from
the landing page it follows every href and src, and every link resolves on both, with the
same bytes, JSON mirrors included (under `serve`, `recipes/{id}.json` was once taken by the
API for an id and answered 404)."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from server_support import running_server
from site_registry import small_site_fixture  # noqa: F401  (fixture)

START = "/model-development/index.html"
Fetch = Callable[[str], tuple[int, bytes]]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.found.append(value)


def crawl(fetch: Fetch, limit: int = 5000) -> tuple[dict[str, bytes], list[str]]:
    """Every path reachable from START (query and fragment dropped): its bytes, and the
    broken links as "page -> link (status)"."""
    seen: dict[str, bytes] = {}
    broken: list[str] = []
    todo = [(START, "start")]
    queued = {START}
    while todo and len(seen) < limit:
        path, source = todo.pop()
        status, body = fetch(path)
        if status != 200:
            broken.append(f"{source} -> {path} ({status})")
            continue
        seen[path] = body
        if not path.endswith(".html"):
            continue
        parser = _Links()
        parser.feed(body.decode("utf-8"))
        for link in parser.found:
            parts = urlsplit(urljoin("http://site" + path, link))
            if parts.netloc != "site":
                broken.append(f"{path} -> {link} (outside the site)")
                continue
            target = parts.path
            if target not in queued:
                queued.add(target)
                todo.append((target, path))
    return seen, broken


def static_fetch(out: Path) -> Fetch:
    def fetch(path: str) -> tuple[int, bytes]:
        target = out / path.lstrip("/")
        return (200, target.read_bytes()) if target.is_file() else (404, b"")

    return fetch


def http_fetch(base: str) -> Fetch:
    def fetch(path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(base + path, timeout=60) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, b""

    return fetch


def test_the_crawler_reports_a_broken_link(tmp_path):
    pages = tmp_path / "model-development"
    pages.mkdir()
    (pages / "index.html").write_text('<a href="a.html">a</a><a href="gone.html">g</a>')
    (pages / "a.html").write_text('<a href="https://elsewhere.example/">x</a>')
    seen, broken = crawl(static_fetch(tmp_path))
    assert set(seen) == {START, "/model-development/a.html"}
    assert sorted(broken) == [
        "/model-development/a.html -> https://elsewhere.example/ (outside the site)",
        f"{START} -> /model-development/gone.html (404)",
    ]


def test_static_and_served_catalogs_have_no_broken_link_and_agree(small_site, tmp_path):
    static, broken = crawl(static_fetch(small_site.out))
    assert not broken, "\n".join(broken[:20])
    mirrors = [p for p in static if p.startswith("/api/ml-development/")]
    kinds = {p.split("/")[3].removesuffix(".json") for p in mirrors}
    assert {"recipes", "models", "runs"} <= kinds
    assert any("/versions/" in p for p in mirrors)  # versions/{vid}.json
    assert len(static) > 30

    with running_server(small_site.reg.root, log_dir=tmp_path) as server:
        served, broken = crawl(http_fetch(server.base))
    assert not broken, "\n".join(broken[:20])
    assert set(served) == set(static)
    differ = [p for p in static if served[p] != static[p]]
    assert not differ, differ[:10]
