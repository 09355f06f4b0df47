"""Run every benchmark (`make bench`); exit non-zero when any of them misses its target.

Each benchmark is a script in this directory that prints its figures and exits 0 when it met its
target. They run one after another so they do not disturb each other's timings. At the end one
table sums them all up: the rows the scripts hand over through NUKI_BENCH_ROWS (see `_report.py`),
and for a script that hands over none, one row with its verdict.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _report import ROWS_FILE_VARIABLE, Row, print_table

HERE = Path(__file__).parent
BENCHMARKS = [
    "audit_fanout.py",
    "cold_start.py",
    "call_overhead.py",
    "tool_list_size.py",
    "peak_rss.py",
    "passkey_unlock.py",
]


def _rows_of(rows_file: Path, script: str, returncode: int) -> list[Row]:
    lines = rows_file.read_text().splitlines() if rows_file.exists() else []
    if lines:
        return [Row(**json.loads(line)) for line in lines]
    verdict = "met" if returncode == 0 else "missed (see its output above)"
    return [Row(script, "see above", "see above", "—", verdict, returncode == 0)]


def main() -> int:
    failed: list[str] = []
    summary: list[Row] = []
    with tempfile.TemporaryDirectory() as scratch:
        for script in BENCHMARKS:
            print(f"== {script}", flush=True)
            rows_file = Path(scratch) / f"{script}.jsonl"
            env = {**os.environ, ROWS_FILE_VARIABLE: str(rows_file)}
            returncode = subprocess.run([sys.executable, str(HERE / script)], check=False, env=env).returncode
            if returncode != 0:
                failed.append(script)
            summary += _rows_of(rows_file, script, returncode)
            print(flush=True)
    print("== all benchmarks")
    print_table(summary)
    print()
    if failed:
        print("Missed their targets: " + ", ".join(failed))
        return 1
    print(f"All {len(BENCHMARKS)} benchmark(s) met their targets.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
