"""`nuki-mcp passkey add | list | remove`, the passkey settings and the NUKI_CONFIRM=passkey start-up check,
run as real processes (enrolment in a real browser is in tests/browser/test_passkey_cli.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from nuki_mcp.approvals.passkeys import PasskeyStore, StoredPasskey
from nuki_mcp.config import CliOverrides, SettingsError, load_settings

DEADLINE_S = 60.0


def run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m nuki_mcp ARGS` with a clean NUKI_* environment, its state directory under `tmp_path`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NUKI_")}
    # BROWSER: `passkey add` opens a browser; here a command that does nothing.
    clean.update({"XDG_STATE_HOME": str(tmp_path / "state"), "BROWSER": "true", **env})
    return subprocess.run(
        [sys.executable, "-m", "nuki_mcp", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=clean,
        cwd=tmp_path,
        timeout=DEADLINE_S,
        check=False,
    )


def state_store(tmp_path: Path) -> PasskeyStore:
    return PasskeyStore(tmp_path / "state" / "nuki-mcp")


def enrolled(tmp_path: Path, label: str, credential_id: str, *, used: bool = False) -> StoredPasskey:
    passkey = StoredPasskey(
        credential_id=credential_id,
        public_key="pQECAyYgASFYIA",
        sign_count=3,
        label=label,
        created=datetime(2026, 11, 20, 8, 30, tzinfo=UTC),
        last_used=datetime(2026, 11, 21, 9, 0, tzinfo=UTC) if used else None,
    )
    state_store(tmp_path).add(passkey)
    return passkey


def test_passkey_add_gives_up_after_its_timeout_with_one_line_and_exit_code_1(tmp_path: Path) -> None:
    run = run_cli(tmp_path, "passkey", "add", "--timeout", "0.5")
    assert run.returncode == 1, run.stderr
    first, last = run.stderr.splitlines()
    assert "http://localhost:" in first
    assert "/passkeys/enrol" in first
    assert last.startswith("nuki-mcp: error: No passkey was enrolled within 0.5 s;")
    assert "nuki-mcp passkey add" in last
    assert run.stdout == ""
    assert state_store(tmp_path).enrolled() == []


def test_passkey_add_opens_the_browser_at_the_enrolment_page(tmp_path: Path) -> None:
    opened = tmp_path / "opened.txt"
    recorder = f"{sys.executable} -c \"import pathlib,sys; pathlib.Path('{opened}').write_text(sys.argv[1])\" %s"
    run = run_cli(tmp_path, "passkey", "add", "--timeout", "2", BROWSER=recorder)
    assert run.returncode == 1
    url = opened.read_text()
    assert url.startswith("http://localhost:")
    assert url.endswith("/passkeys/enrol")
    assert url in run.stderr


def test_passkey_list_shows_label_credential_id_created_and_last_used(tmp_path: Path) -> None:
    enrolled(tmp_path, "Laptop", "cred-laptop", used=True)
    enrolled(tmp_path, "Kitchen phone", "cred-phone")
    run = run_cli(tmp_path, "passkey", "list", TZ="UTC")
    assert run.returncode == 0, run.stderr
    header, laptop, phone = run.stdout.splitlines()
    assert header.split() == ["LABEL", "CREDENTIAL", "ID", "CREATED", "LAST", "USED"]
    assert laptop.split() == ["Laptop", "cred-laptop", "2026-11-20", "08:30", "2026-11-21", "09:00"]
    assert phone.split() == ["Kitchen", "phone", "cred-phone", "2026-11-20", "08:30", "never"]


def test_passkey_list_without_passkeys_says_how_to_add_one(tmp_path: Path) -> None:
    run = run_cli(tmp_path, "passkey", "list")
    assert run.returncode == 0
    assert run.stdout == ""
    assert "nuki-mcp passkey add" in run.stderr


def test_passkey_remove_removes_exactly_that_passkey(tmp_path: Path) -> None:
    enrolled(tmp_path, "Laptop", "cred-laptop")
    enrolled(tmp_path, "Kitchen phone", "cred-phone")
    run = run_cli(tmp_path, "passkey", "remove", "cred-laptop")
    assert run.returncode == 0, run.stderr
    assert "Laptop" in run.stderr
    assert [p.label for p in state_store(tmp_path).enrolled()] == ["Kitchen phone"]


def test_passkey_remove_of_an_unknown_id_fails_with_one_line_and_removes_nothing(tmp_path: Path) -> None:
    enrolled(tmp_path, "Laptop", "cred-laptop")
    run = run_cli(tmp_path, "passkey", "remove", "cred-other")
    assert run.returncode == 1
    (line,) = run.stderr.splitlines()
    assert "cred-other" in line
    assert "nuki-mcp passkey list" in line
    assert len(state_store(tmp_path).enrolled()) == 1


@pytest.mark.parametrize(
    "args",
    [["passkey"], ["passkey", "rename"], ["passkey", "add", "--timeout", "soon"], ["--demo", "passkey", "list"]],
)
def test_a_bad_passkey_command_line_is_one_line_and_exit_code_2(tmp_path: Path, args: list[str]) -> None:
    run = run_cli(tmp_path, *args)
    assert run.returncode == 2
    assert len(run.stderr.splitlines()) == 1, run.stderr
    assert "Traceback" not in run.stderr


def test_an_unreadable_passkey_file_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    state = tmp_path / "state" / "nuki-mcp"
    state.mkdir(parents=True)
    (state / "passkeys.json").write_text("{not json")
    run = run_cli(tmp_path, "passkey", "list")
    assert run.returncode == 2
    (line,) = run.stderr.splitlines()
    assert "passkeys.json" in line


def test_confirm_passkey_without_an_enrolled_passkey_is_a_start_up_error(tmp_path: Path) -> None:
    for run in (
        run_cli(tmp_path, "--demo", "--confirm", "passkey"),
        run_cli(tmp_path, "--demo", NUKI_CONFIRM="passkey"),
    ):
        assert run.returncode == 2
        (line,) = run.stderr.splitlines()
        assert "run `nuki-mcp passkey add`" in line
        assert run.stdout == ""


def test_confirm_passkey_with_an_enrolled_passkey_starts_the_server(tmp_path: Path) -> None:
    enrolled(tmp_path, "Laptop", "cred-laptop")
    run = run_cli(tmp_path, "--demo", "--confirm", "passkey")
    assert run.returncode == 0, run.stderr
    assert "error" not in run.stderr


def test_approval_port_and_wait_default_to_a_free_port_and_60_seconds() -> None:
    settings = load_settings({}, CliOverrides(demo=True))
    assert (settings.approval_port, settings.approval_wait) == (0, 60.0)


def test_approval_port_and_wait_come_from_the_environment_and_flags_win() -> None:
    env = {"NUKI_APPROVAL_PORT": "8765", "NUKI_APPROVAL_WAIT": "30", "NUKI_CONFIRM": "passkey"}
    from_env = load_settings(env, CliOverrides(demo=True))
    assert (from_env.approval_port, from_env.approval_wait, from_env.confirm) == (8765, 30.0, "passkey")
    flags = CliOverrides(demo=True, approval_port="9000", approval_wait="0")
    assert (load_settings(env, flags).approval_port, load_settings(env, flags).approval_wait) == (9000, 0.0)


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"NUKI_APPROVAL_PORT": "http"}, "NUKI_APPROVAL_PORT"),
        ({"NUKI_APPROVAL_PORT": "70000"}, "NUKI_APPROVAL_PORT"),
        ({"NUKI_APPROVAL_WAIT": "-1"}, "NUKI_APPROVAL_WAIT"),
        ({"NUKI_APPROVAL_WAIT": "a minute"}, "NUKI_APPROVAL_WAIT"),
        ({"NUKI_CONFIRM": "fingerprint"}, "passkey"),
    ],
)
def test_malformed_passkey_settings_are_one_line_naming_the_variable(env: dict[str, str], name: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings(env, CliOverrides(demo=True))


def test_malformed_approval_port_flag_stops_the_command_with_exit_code_2(tmp_path: Path) -> None:
    run = run_cli(tmp_path, "--demo", "--approval-port", "x")
    assert run.returncode == 2
    (line,) = run.stderr.splitlines()
    assert "--approval-port" in line  # a flag's error names the flag


def test_passkey_is_dispatched_when_main_is_called_with_a_tuple(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nuki_mcp.__main__ import main

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert main(("passkey", "list")) == 0
