"""README, server.json and the package keep telling the truth about the live server."""

from __future__ import annotations

import json
import re
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

from nuki_mcp.config import ALL_TOOLSETS
from tests.support import Harness

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
SERVER_JSON = json.loads((ROOT / "server.json").read_text())
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _readme_tool_rows() -> list[tuple[str, str]]:
    table = README.split("<!-- tools:start -->")[1].split("<!-- tools:end -->")[0]
    return re.findall(r"^\| `(\w+)` \| (\w+) \|", table, flags=re.MULTILINE)


async def test_the_readme_tool_table_lists_exactly_the_live_tools_with_their_toolsets(tmp_path: Path) -> None:
    live: list[tuple[str, str]] = []
    for toolset in ALL_TOOLSETS:
        harness = Harness(tmp_path, toolsets=frozenset({toolset}))
        async with harness.client() as client:
            live.extend((tool.name, toolset) for tool in (await client.list_tools()).tools)
    assert sorted(_readme_tool_rows()) == sorted(live)


def test_server_json_carries_the_package_version_and_name() -> None:
    package_version = PYPROJECT["project"]["version"]
    assert version("nuki-mcp") == package_version
    assert SERVER_JSON["version"] == package_version
    assert [p["version"] for p in SERVER_JSON["packages"]] == [package_version]
    assert SERVER_JSON["packages"][0]["identifier"] == PYPROJECT["project"]["name"]
    assert f"<!-- mcp-name: {SERVER_JSON['name']} -->" in README


def test_server_json_marks_the_api_token_secret_and_required() -> None:
    variables = {v["name"]: v for v in SERVER_JSON["packages"][0]["environmentVariables"]}
    assert variables["NUKI_API_TOKEN"]["isSecret"] is True
    assert variables["NUKI_API_TOKEN"]["isRequired"] is True
    secrets = {"NUKI_API_TOKEN", "NUKI_MCP_REDIS_URL", "NUKI_MCP_SECRET_KEY", "NUKI_OAUTH_CLIENT_SECRET"}
    assert {name for name, v in variables.items() if v["isSecret"]} == secrets


def test_every_setting_the_server_reads_is_documented_in_the_readme_and_server_json() -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "src" / "nuki_mcp").rglob("*.py"))
    read = set(re.findall(r"\"(NUKI_[A-Z_]+)\"", source))
    documented = set(re.findall(r"^\| `(NUKI_[A-Z_]+)` \|", README, flags=re.MULTILINE))
    assert read == documented
    in_server_json = {v["name"] for v in SERVER_JSON["packages"][0]["environmentVariables"]}
    # The HTTP transport's own settings do not apply to the stdio package the registry installs.
    assert in_server_json == documented - {"NUKI_MCP_AUTH_TOKEN", "NUKI_MCP_ALLOWED_HOSTS"}
