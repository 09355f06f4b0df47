"""Every remote-mode setting is documented where users and registries look: README's table and server.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nuki_mcp.config import SettingsError, load_settings

ROOT = Path(__file__).parent.parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
SERVER_JSON = json.loads((ROOT / "server.json").read_text(encoding="utf-8"))
REMOTE_SETTINGS = (
    "NUKI_MCP_PUBLIC_URL",
    "NUKI_MCP_REDIS_URL",
    "NUKI_MCP_SECRET_KEY",
    "NUKI_OAUTH_CLIENT_ID",
    "NUKI_OAUTH_CLIENT_SECRET",
    "NUKI_MCP_FORWARDED_ALLOW_IPS",
    "NUKI_MCP_USER_BUDGET",
    "NUKI_MCP_ACCOUNT_BUDGET",
)


@pytest.mark.parametrize("name", REMOTE_SETTINGS)
def test_each_remote_setting_has_a_row_in_the_readme_table_and_an_entry_in_server_json(name: str) -> None:
    table = README.split("## Configuration\n")[1].split("\n## ")[0]
    assert any(line.startswith("|") and f"`{name}`" in line for line in table.splitlines())
    names = [v["name"] for v in SERVER_JSON["packages"][0]["environmentVariables"]]
    assert name in names


def test_the_readme_explains_running_remotely() -> None:
    section = README.split("## Run it remotely\n")[1].split("\n## ")[0]
    for needed in ("reverse_proxy", "Claude.ai", "ChatGPT", "NUKI_MCP_REDIS_URL", "sticky routing"):
        assert needed in section


def test_remote_settings_are_read_and_bad_ones_are_one_line_errors() -> None:
    env = {
        "NUKI_API_TOKEN": "t" * 20,
        "NUKI_MCP_PUBLIC_URL": "https://nuki.example.com/",
        "NUKI_MCP_REDIS_URL": "redis://127.0.0.1:6379/0",
        "NUKI_MCP_FORWARDED_ALLOW_IPS": "127.0.0.1, 10.0.0.0/8",
        "NUKI_MCP_USER_BUDGET": "30",
    }
    settings = load_settings(env)
    assert settings.public_url == "https://nuki.example.com"
    assert settings.redis_url is not None
    assert settings.forwarded_allow_ips == ("127.0.0.1", "10.0.0.0/8")
    assert settings.user_budget == 30
    assert "redis://" not in repr(settings)  # the URL may carry a password
    bad = [
        ({"NUKI_MCP_PUBLIC_URL": "http://nuki.example.com"}, "https"),
        ({"NUKI_MCP_PUBLIC_URL": "https://nuki.example.com/mcp"}, "without a path"),
        ({"NUKI_MCP_REDIS_URL": "http://127.0.0.1:6379"}, "Redis URL"),
        ({"NUKI_MCP_SECRET_KEY": "short"}, "Fernet key"),
        ({"NUKI_OAUTH_CLIENT_ID": "id"}, "go together"),
        ({"NUKI_MCP_FORWARDED_ALLOW_IPS": "proxy.local"}, "IP addresses"),
        ({"NUKI_MCP_USER_BUDGET": "-1"}, "requests per minute"),
    ]
    for extra, words in bad:
        with pytest.raises(SettingsError, match=words):
            load_settings({"NUKI_API_TOKEN": "t" * 20, **extra})


def test_per_user_nuki_sign_in_is_refused_in_one_line_until_it_exists(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from nuki_mcp.__main__ import main

    monkeypatch.setenv("NUKI_OAUTH_CLIENT_ID", "id")
    monkeypatch.setenv("NUKI_OAUTH_CLIENT_SECRET", "secret")
    monkeypatch.setenv("NUKI_MCP_SECRET_KEY", "A" * 43 + "=")
    assert main(["--demo", "--transport", "http"]) == 2
    error = capsys.readouterr().err
    assert "not available in this version yet" in error
    assert len(error.strip().splitlines()) == 1
