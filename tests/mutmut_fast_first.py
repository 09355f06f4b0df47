"""A pytest plugin for mutation runs only (`[tool.mutmut]` loads it): a mutant's tests run fastest first.

mutmut stops a mutant's run at the first failing test (`-x`) and hands its covering tests over in no
particular order. Running them fastest first (by the durations mutmut measured when it recorded coverage)
kills most mutants in the first second; the set of tests that run is unchanged, so is every verdict.
"""

from typing import cast

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    durations = _durations()
    if durations:
        items.sort(key=lambda item: durations.get(item.nodeid, float("inf")))


def _durations() -> dict[str, float]:
    """The test durations mutmut measured; empty outside a mutation run (mutmut is an optional extra)."""
    try:
        from mutmut.state import state  # pyright: ignore[reportMissingImports, reportUnknownVariableType]
    except ImportError:
        return {}
    measured: object = state().duration_by_test  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
    return {str(test): float(seconds) for test, seconds in cast(dict[str, float], measured).items()}
