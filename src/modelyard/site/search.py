"""The search index, chunked so a query loads only what it needs.

- `data/search/docs.js`: every searchable record once: kind, id, name, link, a line of
  detail. It grows with recipes and models (and runs only while runs have pages).
- `data/search/t-<c>.js`: the terms starting with `c` (a letter or digit), each with its
  postings `[record number, weight]`, weight 3 for a word of the id or name, 2 of a tag,
  1 of the rest (status, owner, family, the resolved manifest's keys and values).

The page (`assets/search.js`) loads docs.js and, for each word of the query, the chunk of
its first character; MiniSearch (vendored as `assets/minisearch.js`) matches the word
against that chunk's terms by prefix and by spelling within an edit or two, and ranks the
records by how well and how many of the words matched. A misspelling is found when its
first character is right ("freshmrt" finds freshmart).
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from modelyard.site.rows import Indexes, flatten, run_href, short_time, text

_WORD = re.compile(r"[a-z0-9]+")


def terms(value: str) -> list[str]:
    """The words of a text as the page splits a query: runs of letters and digits, and a
    whole id (`recipe_pricing_base`) as one more word."""
    lowered = value.lower()
    found = _WORD.findall(lowered)
    found += [t for t in re.findall(r"[a-z0-9_]+", lowered) if "_" in t.strip("_")]
    return found


def _doc(kind: str, ident: str, name: str, url: str, detail: str) -> list[str]:
    return [kind, ident, name, url, detail]


def build(cat: Any, ix: Indexes) -> tuple[list[list[str]], dict[str, dict[str, list[list[int]]]]]:
    """The records (`docs.js`) and the term chunks by first character."""
    docs: list[list[str]] = []
    postings: dict[str, dict[int, int]] = defaultdict(dict)

    def add(number: int, weight: int, *texts: str) -> None:
        for value in texts:
            for term in terms(value):
                known = postings[term].get(number, 0)
                if weight > known:
                    postings[term][number] = weight

    for r in cat.recipes:
        n = len(docs)
        docs.append(
            _doc(
                "recipe",
                r.id,
                r.name,
                f"recipes/{r.id}/index.html",
                f"{r.model_family} · {r.level} · {r.status}",
            )
        )
        add(n, 3, r.id, r.name)
        add(n, 2, *r.tags)
        manifest = cat.resolved.get(r.id, ({}, {}))[0]
        words = " ".join(f"{p} {text(v)}" for p, v in flatten(manifest) if p)
        add(n, 1, str(r.model_family), str(r.level), str(r.status), r.description or "", words)
    for m in cat.models:
        n = len(docs)
        docs.append(
            _doc(
                "model",
                m.id,
                m.name,
                f"models/{m.id}/index.html",
                f"{m.model_family} · {m.status} · {m.owner}",
            )
        )
        add(n, 3, m.id, m.name)
        add(n, 1, m.owner, str(m.status), m.recipe_id, m.recipe_version_id, m.description or "")
    for run in cat.runs if ix.run_pages else []:  # a large registry's runs: the explorer
        n = len(docs)
        docs.append(
            _doc(
                "run",
                run.id,
                f"{run.run_type} run of {run.recipe_id}",
                run_href(ix, run),
                f"{run.status} · {short_time(run.created_at)}",
            )
        )
        add(n, 3, run.id)
        add(n, 1, run.recipe_id, run.model_id or "", str(run.run_type), str(run.status))
        add(n, 1, *run.metrics_json)
    chunks: dict[str, dict[str, list[list[int]]]] = defaultdict(dict)
    for term in sorted(postings):
        chunks[term[0]][term] = [[n, w] for n, w in sorted(postings[term].items())]
    return docs, dict(sorted(chunks.items()))
