"""The README's install instructions work before the first release: nothing points at PyPI unmarked."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
PYPI_INSTALL = re.compile(r"pip install nuki-mcp|uvx nuki-mcp|\"args\": \[\"nuki-mcp\"\]")


def _install_sections() -> str:
    return README.split("## Quick start")[1].split("## Tools")[0]


def test_the_quick_start_and_client_snippets_install_from_a_clone() -> None:
    section = _install_sections()
    assert "pip install ." in section
    assert "uvx --from . nuki-mcp" in section
    assert '"args": ["--from", "/path/to/nuki-mcp", "nuki-mcp"]' in section
    assert "-- uvx --from /path/to/nuki-mcp nuki-mcp" in section


def test_every_pypi_install_line_is_marked_as_for_after_the_first_release() -> None:
    paragraphs = _install_sections().split("\n\n")
    unmarked = [p for p in paragraphs if PYPI_INSTALL.search(p) and "after the first release on pypi" not in p.lower()]
    assert unmarked == []
    assert any(PYPI_INSTALL.search(p) for p in paragraphs)  # the release-time spelling is still shown


def test_every_json_snippet_in_the_readme_is_valid_json() -> None:
    snippets = re.findall(r"```json\n(.*?)```", README, flags=re.DOTALL)
    assert len(snippets) >= 3
    for snippet in snippets:
        json.loads(snippet)
