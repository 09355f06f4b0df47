"""How every benchmark reports: a table of rows (what, figure, baseline, ratio, target, met?).

`run_all.py` sets NUKI_BENCH_ROWS to a file; `report` appends the rows there as JSON lines so the
runner can print one table of every benchmark at the end.
"""

from __future__ import annotations

import json
import os
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

ROWS_FILE_VARIABLE = "NUKI_BENCH_ROWS"


@dataclass(frozen=True)
class Row:
    """One line of a benchmark's table (and of docs/benchmarks.md)."""

    what: str
    figure: str
    baseline: str
    ratio: str
    target: str
    met: bool | None  # None: no target, the figure is reported only

    @property
    def verdict(self) -> str:
        return "—" if self.met is None else ("yes" if self.met else "NO")


def print_table(rows: Sequence[Row]) -> None:
    header = Row("what", "figure", "baseline (same run)", "ratio", "target", None)
    cells = [
        (r.what, r.figure, r.baseline, r.ratio, r.target, "met?" if r is header else r.verdict) for r in (header, *rows)
    ]
    widths = [max(len(line[i]) for line in cells) for i in range(6)]
    for n, line in enumerate(cells):
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
        if n == 0:
            print("  ".join("-" * width for width in widths))


def median_ms(seconds: Sequence[float]) -> float:
    return statistics.median(seconds) * 1000


def report(rows: Sequence[Row]) -> int:
    """Print the table, hand the rows to `run_all.py` if it asked, and return the exit code (1: a target missed)."""
    print_table(rows)
    rows_file = os.environ.get(ROWS_FILE_VARIABLE)
    if rows_file:
        with Path(rows_file).open("a") as out:
            out.writelines(json.dumps(asdict(row)) + "\n" for row in rows)
    return 1 if any(row.met is False for row in rows) else 0
