"""The README's tour is found whole (test_release.py runs it, with the built wheel), and
`--manifest` takes a manifest mapping or a whole manifest file."""

from __future__ import annotations

from pathlib import Path

from clihelp import Cli
from tour import tour_lines


def test_the_tour_is_found_whole() -> None:
    lines = tour_lines()
    assert lines[0] == "pip install modelyard"
    assert "modelyard init my-registry --example" in lines
    assert any(
        line.startswith("modelyard recipes create") and "--manifest" in line for line in lines
    )
    assert lines[-1].startswith("modelyard chat")
    assert not any("#" in line or line.endswith("\\") for line in lines)


MANIFEST = """\
description: Demand model.
features:
  base_price: {dtype: float}
target: {name: units_sold, dtype: float, kind: regression}
model: {algorithm: lightgbm, hyperparameters: {learning_rate: 0.05}}
pricing:
  objective: revenue
  price_bounds: {min_ratio: 0.9, max_ratio: 1.1}
"""


def test_manifest_takes_the_mapping_or_the_whole_file(reg, tmp_path: Path) -> None:
    cli = Cli(reg.root)
    inner = tmp_path / "inner.yaml"
    inner.write_text(MANIFEST)
    whole = tmp_path / "whole.yaml"
    whole.write_text(
        "version: 2.0.0\nmanifest:\n" + "".join(f"  {ln}\n" for ln in MANIFEST.splitlines())
    )
    made = []
    for path in (inner, whole):
        made.append(
            cli.json(
                "recipes",
                "create",
                "--name",
                f"P {path.stem}",
                "--model-family",
                "pricing",
                "--level",
                "baseline",
                "--manifest",
                str(path),
            )
        )
    assert [m["version"] for m in made] == ["1.0.0", "1.0.0"]  # a file's version is not used
    got = [cli.json("recipes", "get", m["id"], "--manifest")["manifest"] for m in made]
    assert got[0] == got[1] and got[0]["model"]["hyperparameters"] == {"learning_rate": 0.05}
    # a new version from a whole file too
    whole.write_text(whole.read_text().replace("0.05", "0.04"))
    version = cli.json(
        "versions", "create", made[0]["id"], "--manifest", str(whole), "--change-note", "Lower"
    )
    assert version["version_number"] == "1.0.1"
    # anything else beside `manifest:` is still refused, by name
    odd = tmp_path / "odd.yaml"
    odd.write_text("version: 1.0.0\nextra: 1\nmanifest: {}\n")
    err = cli.error(
        "versions", "create", made[0]["id"], "--manifest", str(odd), "--change-note", "Odd"
    )
    assert "extra" in err
