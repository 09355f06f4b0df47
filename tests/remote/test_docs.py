"""Every remote-mode setting is documented where users and registries look: README's table and server.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nuki_mcp.config import SettingsError, load_settings
from tests.remote.rig import SECRET_KEY

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
        "NUKI_MCP_SECRET_KEY": SECRET_KEY,
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
        ({"NUKI_MCP_REDIS_URL": "redis://127.0.0.1:6379/0"}, "NUKI_MCP_REDIS_URL needs NUKI_MCP_SECRET_KEY"),
        ({"NUKI_MCP_SECRET_KEY": "short"}, "Fernet key"),
        ({"NUKI_OAUTH_CLIENT_ID": "id"}, "go together"),
        ({"NUKI_MCP_FORWARDED_ALLOW_IPS": "proxy.local"}, "IP addresses"),
        ({"NUKI_MCP_USER_BUDGET": "-1"}, "requests per minute"),
    ]
    for extra, words in bad:
        with pytest.raises(SettingsError, match=words):
            load_settings({"NUKI_API_TOKEN": "t" * 20, **extra})


@pytest.mark.parametrize(
    ("secret_key", "words"),
    [(None, "set NUKI_MCP_SECRET_KEY"), ("not-a-fernet-key", "must be a Fernet key")],
)
def test_per_user_nuki_sign_in_without_a_valid_secret_key_is_one_line_saying_how_to_make_one_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], secret_key: str | None, words: str
) -> None:
    from nuki_mcp.__main__ import main

    monkeypatch.delenv("NUKI_API_TOKEN", raising=False)
    monkeypatch.setenv("NUKI_OAUTH_CLIENT_ID", "id")
    monkeypatch.setenv("NUKI_OAUTH_CLIENT_SECRET", "secret")
    if secret_key is None:
        monkeypatch.delenv("NUKI_MCP_SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("NUKI_MCP_SECRET_KEY", secret_key)
    assert main(["--transport", "http", "--public-url", "https://nuki.example.com"]) == 2
    error = capsys.readouterr().err
    assert words in error
    assert "Fernet.generate_key()" in error
    assert len(error.strip().splitlines()) == 1


def test_per_user_nuki_sign_in_needs_no_owner_token_in_remote_mode_but_one_line_elsewhere(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from nuki_mcp.__main__ import main

    env = {
        "NUKI_OAUTH_CLIENT_ID": "id",
        "NUKI_OAUTH_CLIENT_SECRET": "app-password-31f5",
        "NUKI_MCP_SECRET_KEY": "A" * 43 + "=",
        "NUKI_MCP_PUBLIC_URL": "https://nuki.example.com",
    }
    settings = load_settings(env)
    assert settings.api_token is None
    assert settings.nuki_oauth_client_id == "id"
    assert "app-password-31f5" not in repr(settings)
    monkeypatch.delenv("NUKI_API_TOKEN", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for argv, words in [(["check"], "only in remote mode"), (["--demo", "--transport", "http"], "not --demo")]:
        assert main(argv) == 2
        error = capsys.readouterr().err
        assert words in error
        assert len(error.strip().splitlines()) == 1
