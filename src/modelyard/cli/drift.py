"""`modelyard monitoring compute`: a snapshot computed from data files."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import click

from modelyard.cli.common import emit, json_option, open_registry
from modelyard.cli.options import model_id_argument
from modelyard.cli.sync import push_option


def read_table(path: str, option: str) -> Any:
    """A CSV file's columns, every cell as text. Parquet would need pyarrow (tens of
    megabytes), which modelyard does not depend on: export such data as CSV."""
    from modelyard.ops.drift import Table

    file = Path(path)
    if file.suffix.lower() in (".parquet", ".pq"):
        raise click.BadParameter(
            f"{path}: Parquet is not read (it would need pyarrow); export the data as CSV",
            param_hint=option,
        )
    try:
        with file.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if not header:
                raise click.BadParameter(
                    f"{path} is empty: it needs a header row", param_hint=option
                )
            repeated = sorted({h for h in header if header.count(h) > 1})
            if repeated:
                raise click.BadParameter(
                    f"{path}:1: column {repeated[0]!r} is named twice", param_hint=option
                )
            columns: dict[str, list[str]] = {name: [] for name in header}
            for row in reader:
                if not row:
                    continue
                if len(row) != len(header):
                    raise click.BadParameter(
                        f"{path}:{reader.line_num}: {len(row)} cells, but the header has "
                        f"{len(header)}",
                        param_hint=option,
                    )
                for name, cell in zip(header, row, strict=True):
                    columns[name].append(cell.strip())
    except OSError as exc:
        raise click.BadParameter(f"cannot read {path}: {exc.strerror}", param_hint=option) from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise click.BadParameter(
            f"{path} is not a UTF-8 CSV file: {exc}", param_hint=option
        ) from None
    return Table(file.name, columns)


@click.command("compute")
@model_id_argument()
@click.option(
    "--reference",
    "reference_file",
    required=True,
    type=click.Path(dir_okay=False),
    help="The data the model was trained or validated on (CSV with a header row).",
)
@click.option(
    "--current",
    "current_file",
    required=True,
    type=click.Path(dir_okay=False),
    help="The data production sees now (CSV; labels and predictions give performance).",
)
@click.option(
    "--timestamp-column",
    help="Column whose newest value dates the data (default: the recipe's data source's).",
)
@click.option("--label-column", help="Column of true values (default: the recipe's target).")
@click.option(
    "--prediction-column",
    default="prediction",
    show_default=True,
    help="Column of the model's predictions.",
)
@click.option("--captured-at", help="When it was captured (ISO 8601; default now).")
@click.option("--created-by", help="Author of the commit.")
@json_option
@push_option
@click.pass_context
def compute(
    ctx: click.Context,
    model_id: str,
    reference_file: str,
    current_file: str,
    timestamp_column: str | None,
    label_column: str | None,
    prediction_column: str,
    captured_at: str | None,
    created_by: str | None,
    as_json: bool,
) -> None:
    """Compute a monitoring snapshot from data: drift of every feature (PSI, Jensen-Shannon,
    Wasserstein), freshness and performance, with the alerts the recipe's monitoring
    thresholds give; recorded as one commit (as POST /models/{model_id}/monitoring)."""
    from modelyard.cli.monitoring import snapshot_text
    from modelyard.domain.timefmt import parse_iso
    from modelyard.ops import drift as ops

    when = None
    if captured_at:
        try:
            when = parse_iso(captured_at)
        except ValueError:
            raise click.BadParameter(
                f"{captured_at!r} is not an ISO 8601 time", param_hint="--captured-at"
            ) from None
    result = ops.compute_snapshot(
        open_registry(ctx),
        model_id,
        read_table(reference_file, "--reference"),
        read_table(current_file, "--current"),
        timestamp_column=timestamp_column,
        label_column=label_column,
        prediction_column=prediction_column,
        captured_at=when,
        created_by=created_by,
    )
    emit(result, as_json, snapshot_text)
