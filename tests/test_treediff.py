"""domain/treediff.py gives deepdiff's answer: compared with deepdiff itself on chosen and on
generated documents, and deepdiff is not imported where no two lists differ."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from typing import Any

import pytest
from deepdiff import DeepDiff
from hypothesis import given, settings
from hypothesis import strategies as st

from modelyard.domain import treediff
from modelyard.domain.semver import manifest_diff

REPORTS = (
    treediff.ADDED,
    treediff.REMOVED,
    treediff.CHANGED,
    treediff.TYPE,
    treediff.ITEM_ADDED,
    treediff.ITEM_REMOVED,
)


def deepdiff_answer(old: Any, new: Any) -> dict[str, list[tuple[str, Any, Any]]]:
    tree = DeepDiff(old, new, view="tree", ignore_order=False)
    out: dict[str, list[tuple[str, Any, Any]]] = {}
    for report in REPORTS:
        for level in tree.get(report, []):
            old_v = None if report in (treediff.ADDED, treediff.ITEM_ADDED) else level.t1
            new_v = None if report in (treediff.REMOVED, treediff.ITEM_REMOVED) else level.t2
            out.setdefault(report, []).append(
                (repr(level.path(output_format="list")), old_v, new_v)
            )
    return {k: sorted(v, key=repr) for k, v in out.items()}


def ours(old: Any, new: Any) -> dict[str, list[tuple[str, Any, Any]]]:
    found = treediff.changes(old, new)
    return {k: sorted(((repr(p), o, n) for p, o, n in v), key=repr) for k, v in found.items() if v}


CASES = [
    ({"a": 1}, {"a": 2}),
    ({"a": 1}, {"a": 1.0}),  # a type change for deepdiff (semver treats it as no change)
    ({"a": True}, {"a": 1}),
    ({"a": None}, {"a": "x"}),
    ({"a": [1]}, {"a": {"b": 1}}),
    ({}, {"a": 1}),
    ({}, {"a": 1, "b": 2}),  # no key in common: one changed value (threshold_to_diff_deeper)
    ({"a": {"x": 1, "y": 2, "z": 3}}, {"a": {"x": 1, "p": 2, "q": 3}}),  # 1 of 5 shared
    ({"a": {"x": 1, "y": 2}}, {"a": {"x": 1, "p": 2}}),  # 1 of 3 shared: just above
    ({"m": {"metrics": ["WAPE", "MAPE"]}}, {"m": {"metrics": ["MAPE"]}}),
    ({"l": [1, 2, 3]}, {"l": [1, 9, 3, 4]}),
    ({"l": [{"a": 1}, {"b": 2}]}, {"l": [{"b": 2}]}),
    ({"l": [1, 2]}, {"l": [1, 2.0]}),  # equal in Python, a type change for deepdiff
    ({"l": [True]}, {"l": [1]}),
    ({"d": date(2026, 1, 1)}, {"d": date(2026, 1, 2)}),  # not a YAML scalar here: deepdiff
    ({"f": float("nan")}, {"f": float("nan")}),
    ({"f": [float("nan")]}, {"f": [float("nan")]}),
    ({"a": {"b": {"c": 1, "d": 2}}}, {"a": {"b": {"c": 1, "d": 3, "e": 4}}}),
]


@pytest.mark.parametrize(("old", "new"), CASES)
def test_chosen_documents_match_deepdiff(old: Any, new: Any) -> None:
    assert ours(old, new) == deepdiff_answer(old, new)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([0.0, 1.0, 1.5, -2.25]),
    st.sampled_from(["a", "b", "WAPE", ""]),
)
keys = st.sampled_from(["a", "b", "c", "d", "e"])
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(keys, documents, max_size=5), st.dictionaries(keys, documents, max_size=5))
def test_generated_documents_match_deepdiff(old: dict[str, Any], new: dict[str, Any]) -> None:
    assert ours(old, new) == deepdiff_answer(old, new)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(keys, documents, min_size=1, max_size=5), st.data())
def test_one_edit_matches_deepdiff(old: dict[str, Any], data: st.DataObject) -> None:
    """Documents that differ in one place, as manifests a version apart do."""
    new = {**old, data.draw(keys): data.draw(documents)}
    assert ours(old, new) == deepdiff_answer(old, new)


def test_no_deepdiff_import_without_a_changed_list() -> None:
    code = (
        "import sys\n"
        "from modelyard.domain.semver import manifest_diff\n"
        "old = {'model': {'hyperparameters': {'lr': 0.1}}, 'evaluation': {'metrics': ['WAPE']}}\n"
        "new = {'model': {'hyperparameters': {'lr': 0.2, 'depth': 3}}, 'description': 'x',"
        " 'evaluation': {'metrics': ['WAPE']}}\n"
        "d = manifest_diff(old, new, '1.0.0')\n"
        "print(d['bump'], len(d['changes']), 'deepdiff' in sys.modules)\n"
        "new['evaluation']['metrics'] = ['WAPE', 'MAPE']\n"
        "d = manifest_diff(old, new, '1.0.0')\n"
        "print(d['bump'], len(d['changes']), 'deepdiff' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[0] == "minor 3 False"
    assert out[1] == "minor 4 True"


def test_manifest_diff_reads_the_walk() -> None:
    old = {"target": {"name": "demand"}, "model": {"hyperparameters": {"lr": 0.1, "n": 1}}}
    new = {"target": {"name": "sales"}, "model": {"hyperparameters": {"lr": 0.2, "n": 1.0}}}
    diff = manifest_diff(old, new, "1.0.0")
    assert diff is not None
    assert [(c["path_text"], c["op"], c["bump"]) for c in diff["changes"]] == [
        ("model.hyperparameters.lr", "change", "patch"),
        ("target.name", "change", "major"),
    ]
    assert diff["bump"] == "major"
