"""A link checker over the built catalog: every internal link, asset and anchor resolves,
and nothing points outside the site."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from site_registry import small_site_fixture, soup  # noqa: F401  (fixture)


def check_links(out: Path) -> int:
    """Follows every href and src of every page; returns how many were checked."""
    problems, checked, ids_of = [], 0, {}

    def ids(path: Path) -> set[str]:
        if path not in ids_of:
            ids_of[path] = {el["id"] for el in soup(path).select("[id]")}
        return ids_of[path]

    for page in sorted(out.rglob("*.html")):
        doc = soup(page)
        for el in doc.select("[href], [src]"):
            url = el.get("href") or el.get("src")
            checked += 1
            parts = urlsplit(url)
            if parts.scheme or parts.netloc:
                problems.append(f"{page}: points outside the site: {url}")
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if not target.is_file():
                problems.append(f"{page}: broken link {url}")
            elif parts.fragment and target.suffix == ".html" and parts.fragment not in ids(target):
                problems.append(f"{page}: no #{parts.fragment} in {target}")
    assert not problems, "\n".join(problems[:20])
    return checked


def test_every_link_and_asset_of_the_catalog_resolves(small_site):
    assert check_links(small_site.out) > 200


def test_the_link_checker_finds_a_broken_link(tmp_path):
    (tmp_path / "a.html").write_text(
        '<a href="b.html#x">b</a><a href="missing.html">m</a>'
        '<script src="https://cdn.example/x.js"></script>'
    )
    (tmp_path / "b.html").write_text('<p id="y">b</p>')
    try:
        check_links(tmp_path)
    except AssertionError as exc:
        message = str(exc)
    else:
        raise AssertionError("the link checker found nothing")
    assert (
        "no #x in" in message
        and "broken link missing.html" in message
        and "outside the site" in message
    )
