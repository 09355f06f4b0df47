"""A pytest plugin for mutation runs only (`[tool.mutmut]` loads it): a mutant's tests run fastest first.

mutmut stops a mutant's run at the first failing test (`-x`) and hands its covering tests over in no
particular order. Running them fastest first (by the durations mutmut measured when it recorded coverage)
kills most mutants in the first second; the set of tests that run is unchanged, so is every verdict.
"""

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    try:
        from mutmut.state import state  # pyright: ignore[reportMissingImports, reportUnknownVariableType]
    except ImportError:
        return
    durations: dict[str, float] = state().duration_by_test  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
    if durations:
        items.sort(key=lambda item: durations.get(item.nodeid, float("inf")))
