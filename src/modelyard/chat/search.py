"""Ranking records by relevance to free text: BM25 (rank-bm25) over each record's words."""

from __future__ import annotations

import re
from typing import Any

from rank_bm25 import BM25Okapi

from modelyard.chat.knowledge import Knowledge

_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("_", " "))


def _manifest_words(data: Any) -> list[str]:
    """Keys and string values of a manifest: feature, source, target and algorithm names."""
    out: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            out += words(str(key))
            out += _manifest_words(value)
    elif isinstance(data, list):
        for value in data:
            out += _manifest_words(value)
    elif isinstance(data, str):
        out += words(data)
    return out


class Index:
    """BM25 over recipes and models (a model also carries its recipe's words, at lower weight)."""

    def __init__(self, kb: Knowledge) -> None:
        self.keys: list[tuple[str, str]] = []
        docs: list[list[str]] = []
        recipe_words: dict[str, list[str]] = {}
        for r in kb.recipes.values():
            text = [
                r.id,
                r.name,
                r.model_family,
                r.level,
                r.status,
                " ".join(r.tags),
                r.description or "",
            ]
            doc = words(" ".join(text)) * 2 + _manifest_words(kb.manifest_file(r.id))
            recipe_words[r.id] = doc
            self.keys.append(("recipe", r.id))
            docs.append(doc)
        for m in kb.models.values():
            text = [m.id, m.name, m.model_family, m.status, m.owner, m.description or ""]
            self.keys.append(("model", m.id))
            docs.append(words(" ".join(text)) * 2 + recipe_words.get(m.recipe_id, [])[:40])
        self.bm25 = BM25Okapi(docs) if docs else None

    def rank(
        self, query: list[str], kind: str | None = None, limit: int = 5
    ) -> list[tuple[str, str, float]]:
        """The best matches as (kind, id, score), best first; only scores above zero."""
        if self.bm25 is None or not query:
            return []
        scores = self.bm25.get_scores(query)
        hits = [
            (k, i, float(s))
            for (k, i), s in zip(self.keys, scores, strict=True)
            if s > 0 and (kind is None or k == kind)
        ]
        hits.sort(key=lambda h: (-h[2], h[1]))
        return hits[:limit]
