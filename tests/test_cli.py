"""The `nuki-mcp` command line, run as a real process: flags, settings errors, --version and `check`."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from nuki_mcp import __version__
from nuki_mcp.__main__ import EXIT_CODES_HELP, UsageError, demo_help, parse_args
from nuki_mcp.demo.household import FRONT_DOOR_ID, GARAGE_ID

DEADLINE_S = 60.0


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def stderr_lines(self) -> list[str]:
        return self.stderr.splitlines()


def run_cli(tmp_path: Path, *args: str, **env: str) -> Run:
    """Run `python -m nuki_mcp` with a clean NUKI_* environment plus `env`; stdin is closed."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NUKI_")}
    clean.update(XDG_STATE_HOME=str(tmp_path / "state"), **env)
    done = subprocess.run(
        [sys.executable, "-m", "nuki_mcp", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=clean,
        cwd=tmp_path,
        timeout=DEADLINE_S,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def assert_one_line_usage_error(run: Run, *names: str) -> None:
    assert run.code == 2, run.stderr
    assert len(run.stderr_lines) == 1, run.stderr
    assert "Traceback" not in run.stderr
    assert run.stdout == ""
    for name in names:
        assert name in run.stderr


def test_without_a_token_the_server_does_not_start_and_names_nuki_api_token(tmp_path: Path) -> None:
    run = run_cli(tmp_path)
    assert_one_line_usage_error(run, "NUKI_API_TOKEN", "--demo")


@pytest.mark.parametrize(
    ("args", "env", "names"),
    [
        ([], {"NUKI_API_TOKEN": "t", "NUKI_CONFIRM": "sometimes"}, ["NUKI_CONFIRM", "sometimes"]),
        ([], {"NUKI_API_TOKEN": "t", "NUKI_TOOLSETS": "devices,doors"}, ["NUKI_TOOLSETS", "doors"]),
        ([], {"NUKI_API_TOKEN": "t", "NUKI_TIMEOUT": "soon"}, ["NUKI_TIMEOUT", "soon"]),
        ([], {"NUKI_API_TOKEN": "t", "NUKI_TIMEOUT": "0"}, ["NUKI_TIMEOUT"]),
        ([], {"NUKI_API_TOKEN": "t", "NUKI_READ_ONLY": "maybe"}, ["NUKI_READ_ONLY"]),
        ([], {"NUKI_API_TOKEN": "t", "NUKI_API_URL": "ftp://nuki"}, ["NUKI_API_URL"]),
        (["--demo", "--timeout", "-3"], {}, ["--timeout", "-3"]),
        (["--demo", "--timeout", "soon"], {}, ["--timeout", "soon"]),
        (["--demo", "--toolsets", "doors"], {}, ["--toolsets", "doors"]),
        ([], {"NUKI_API_TOKEN": "t", "NUKI_API_URL": "http://[::1"}, ["NUKI_API_URL", "http://[::1", "IPv6"]),
        (["--demo", "--api-url", "http://[::1"], {}, ["--api-url", "http://[::1"]),
        ([], {"NUKI_API_TOKEN": "t", "NUKI_API_URL": "https://api nuki.io"}, ["NUKI_API_URL", "space"]),
        ([], {"NUKI_API_TOKEN": "t", "NUKI_API_URL": "http://127.0.0.1:99999"}, ["NUKI_API_URL", "Port"]),
        ([], {"NUKI_API_TOKEN": "t", "NUKI_API_URL": "http://127.0.0.1/api?x=1"}, ["NUKI_API_URL", "?"]),
        ([], {"NUKI_API_TOKEN": "t", "NUKI_API_URL": "http://:8080"}, ["NUKI_API_URL", "host"]),
        ([], {"NUKI_API_TOKEN": "t\u201d"}, ["NUKI_API_TOKEN", "U+201D", "position 2"]),
        ([], {"NUKI_API_TOKEN": '"abc"'}, ["NUKI_API_TOKEN", "U+0022 QUOTATION MARK", "position 1"]),
        ([], {"NUKI_API_TOKEN": "t", "NUKI_MCP_AUTH_TOKEN": "s\u00e9cret"}, ["NUKI_MCP_AUTH_TOKEN", "U+00E9"]),
        ([], {"NUKI_API_TOKEN": "t", "NUKI_AUDIT_LOG": "~no-such-user-7f3a/audit.jsonl"}, ["NUKI_AUDIT_LOG"]),
        ([], {"NUKI_API_TOKEN": "t", "NUKI_DEVICES": " , ,"}, ["NUKI_DEVICES"]),
        (["--demo", "--confirm", "never"], {}, ["--confirm", "never"]),
        (["--demo", "--unlock-everything"], {}, ["--unlock-everything"]),
        (["--demo", "--transport", "carrier-pigeon"], {}, ["--transport"]),
        (["--demo", "--port", "http"], {}, ["--port"]),
        (["--demo", "--port", "70000"], {}, ["--port"]),
        (["--demo", "--allowed-hosts", "https://mcp.example.com/"], {}, ["--allowed-hosts"]),
        ([], {"NUKI_API_TOKEN": "t", "NUKI_MCP_ALLOWED_HOSTS": "https://mcp.example.com/"}, ["NUKI_MCP_ALLOWED_HOSTS"]),
    ],
)
def test_a_bad_setting_or_flag_is_one_line_on_stderr_and_exit_code_2(
    tmp_path: Path, args: list[str], env: dict[str, str], names: list[str]
) -> None:
    run = run_cli(tmp_path, *args, **env)
    assert_one_line_usage_error(run, *names)


def test_a_token_with_a_pasted_curly_quote_is_refused_without_showing_the_token(tmp_path: Path) -> None:
    run = run_cli(tmp_path, NUKI_API_TOKEN="\u201c0f3a9c1e7b2d4e5f-secret-part\u201d")
    assert_one_line_usage_error(run, "NUKI_API_TOKEN", "U+201C", "position 1")
    assert "secret-part" not in run.stderr


def test_an_unwritable_audit_log_is_a_start_up_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    run = run_cli(tmp_path, "--demo", "--audit-log", str(blocker / "audit.jsonl"))
    assert_one_line_usage_error(run, "audit log", "NUKI_AUDIT_LOG")


def test_version_prints_the_package_name_and_version(tmp_path: Path) -> None:
    run = run_cli(tmp_path, "--version")
    assert run.code == 0
    assert run.stdout.strip() == f"nuki-mcp {__version__}"


def test_check_on_the_demo_account_names_the_account_and_its_five_devices(tmp_path: Path) -> None:
    run = run_cli(tmp_path, "check", "--demo")
    assert run.code == 0, run.stderr
    assert "Anna Berger" in run.stdout
    assert "Devices: 5" in run.stdout
    verdicts = {line.split()[0]: line.split()[1] for line in run.stdout.splitlines() if line.startswith("  ")}
    readable = ("devices", "auths", "logs", "webhooks", "account", "properties", "notifications", "intercom")
    assert verdicts == dict.fromkeys(readable, "yes"), run.stdout


def test_check_accepts_the_demo_flag_before_the_subcommand(tmp_path: Path) -> None:
    run = run_cli(tmp_path, "--demo", "check")
    assert run.code == 0, run.stderr
    assert "Devices: 5" in run.stdout


def test_check_needs_a_token_like_the_server(tmp_path: Path) -> None:
    assert_one_line_usage_error(run_cli(tmp_path, "check"), "NUKI_API_TOKEN")


# --- check against a local fake of the Nuki API ---------------------------------------------------


class _FakeNuki(BaseHTTPRequestHandler):
    """Answers GETs by path: `routes` maps a path to (status, JSON body); anything else is 401."""

    routes: ClassVar[dict[str, tuple[int, object]]] = {}

    def do_GET(self) -> None:
        status, body = type(self).routes.get(self.path.split("?")[0], (401, {"detailMessage": "Unauthorized"}))
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:  # keep pytest output clean
        return


@contextmanager
def fake_nuki(routes: dict[str, tuple[int, object]]) -> Generator[str]:
    handler = type("Handler", (_FakeNuki,), {"routes": routes})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)  # bound and listening before the thread starts
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=DEADLINE_S)


def test_check_exits_1_when_nuki_rejects_the_token(tmp_path: Path) -> None:
    with fake_nuki({}) as url:
        run = run_cli(tmp_path, "check", "--api-url", url, NUKI_API_TOKEN="revoked-token")
    assert run.code == 1
    assert len(run.stderr_lines) == 1, run.stderr
    assert "rejected the API token" in run.stderr
    assert "revoked-token" not in run.stderr + run.stdout
    assert run.stdout == ""


def test_check_reports_which_toolsets_a_limited_token_allows(tmp_path: Path) -> None:
    device = {"smartlockId": 17, "accountId": 1, "type": 4, "name": "Shed", "authId": 1}
    routes: dict[str, tuple[int, object]] = {
        "/smartlock": (200, [device]),
        "/smartlock/auth": (403, {"detailMessage": "Forbidden"}),
    }
    with fake_nuki(routes) as url:
        run = run_cli(tmp_path, "check", "--api-url", url, NUKI_API_TOKEN="devices-only")
    assert run.code == 0, run.stderr
    assert "Devices: 1" in run.stdout
    assert "Account: not readable" in run.stdout
    verdicts = {line.split()[0]: line.split()[1] for line in run.stdout.splitlines() if line.startswith("  ")}
    assert verdicts == {
        "devices": "yes",
        "auths": "no",
        "logs": "no",
        "webhooks": "no",
        "account": "no",
        "properties": "no",
        "notifications": "no",
        "intercom": "no",
    }


def test_check_reports_the_opt_in_toolsets_a_token_allows(tmp_path: Path) -> None:
    routes: dict[str, tuple[int, object]] = {
        "/account": (200, {"accountId": 1, "email": "anna@example.com", "name": "Anna", "type": 0}),
        "/address": (200, []),
        "/notification": (403, {"detailMessage": "Forbidden"}),
        "/opener/brand": (200, [{"brandId": 1, "brand": "Siedle"}]),
    }
    with fake_nuki(routes) as url:
        run = run_cli(tmp_path, "check", "--api-url", url, NUKI_API_TOKEN="account-only")
    assert run.code == 0, run.stderr
    verdicts = {line.split()[0]: line.split()[1] for line in run.stdout.splitlines() if line.startswith("  ")}
    assert {name: verdicts[name] for name in ("account", "properties", "notifications", "intercom")} == {
        "account": "yes",
        "properties": "yes",
        "notifications": "no",
        "intercom": "yes",
    }
    assert "Devices: not readable" in run.stdout


def test_check_exits_2_when_nuki_cannot_be_reached(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    run = run_cli(tmp_path, "check", "--api-url", closed, "--timeout", "1", NUKI_API_TOKEN="t")
    assert run.code == 2
    assert run.stderr_lines[-1].startswith("nuki-mcp: error: Cannot reach the Nuki API at 127.0.0.1")


# --- NUKI_DEVICES against the account ---------------------------------------------------------------


def test_check_counts_only_the_devices_the_allow_list_lets_through(tmp_path: Path) -> None:
    run = run_cli(tmp_path, "--demo", "check", "--devices", f"Front Door,{GARAGE_ID}")
    assert run.code == 0, run.stderr
    assert "Devices: 2 (NUKI_DEVICES allows 2 of the account's 5)" in run.stdout
    assert "NUKI_DEVICES entry" not in run.stdout


def test_check_reports_an_allow_list_entry_that_names_no_device_and_exits_2(tmp_path: Path) -> None:
    run = run_cli(tmp_path, "--demo", "check", NUKI_DEVICES="Front Door,Front")
    assert run.code == 2
    assert "Devices: 1 (NUKI_DEVICES allows 1 of the account's 5)" in run.stdout
    assert (
        "NUKI_DEVICES entry 'Front' names no device (an entry is a whole name or an id), so nothing is allowed "
        f"through it; did you mean Front Door ({FRONT_DOOR_ID})?"
    ) in run.stdout.splitlines()


def test_check_reports_an_allow_list_entry_that_names_several_devices(tmp_path: Path) -> None:
    shed = {"accountId": 1, "type": 4, "name": "Shed", "authId": 1}
    routes: dict[str, tuple[int, object]] = {
        "/smartlock": (200, [{**shed, "smartlockId": 17}, {**shed, "smartlockId": 18}]),
    }
    with fake_nuki(routes) as url:
        run = run_cli(tmp_path, "check", "--api-url", url, "--devices", "shed", NUKI_API_TOKEN="t")
    assert run.code == 2
    assert "Devices: 2 (NUKI_DEVICES allows 2 of the account's 2)" in run.stdout
    assert "NUKI_DEVICES entry 'shed' names 2 devices (Shed (17), Shed (18)), so it allows all of them" in run.stdout


def test_audit_refuses_to_run_on_an_allow_list_entry_that_names_no_device(tmp_path: Path) -> None:
    run = run_cli(tmp_path, "--demo", "audit", "--devices", "Front Door,Frnt Door")
    assert run.code == 2
    assert run.stdout == ""
    assert len(run.stderr_lines) == 1, run.stderr
    assert run.stderr.startswith("nuki-mcp: error: NUKI_DEVICES entry 'Frnt Door' names no device")


def test_the_stdio_server_warns_at_start_up_about_an_allow_list_entry_that_names_no_device(tmp_path: Path) -> None:
    run = run_cli(tmp_path, "--demo", NUKI_DEVICES="Front Door,Frnt Door")
    warnings = [line for line in run.stderr_lines if "WARNING" in line]
    assert run.code == 0, run.stderr
    assert len(warnings) == 1, run.stderr
    assert "NUKI_DEVICES entry 'Frnt Door' names no device" in warnings[0]
    assert run.stdout == ""


def test_the_help_of_check_and_audit_shows_the_shared_exit_codes(tmp_path: Path) -> None:
    def unwrapped(text: str) -> str:  # argparse wraps lines, also after a hyphen
        return "".join(text.split())

    helps = [unwrapped(run_cli(tmp_path, command, "--help").stdout) for command in ("check", "audit")]
    assert all(unwrapped(EXIT_CODES_HELP) in text for text in helps), helps


# --- HTTP binding rules (the server never starts, so these are quick) -----------------------------


def test_a_non_loopback_host_without_an_auth_token_is_refused(tmp_path: Path) -> None:
    run = run_cli(tmp_path, "--demo", "--transport", "http", "--host", "0.0.0.0", "--allowed-hosts", "mcp.example.com")
    assert_one_line_usage_error(run, "NUKI_MCP_AUTH_TOKEN", "0.0.0.0")


def test_a_non_loopback_host_without_allowed_host_names_is_refused(tmp_path: Path) -> None:
    run = run_cli(tmp_path, "--demo", "--transport", "http", "--host", "0.0.0.0", NUKI_MCP_AUTH_TOKEN="long-secret")
    assert_one_line_usage_error(run, "NUKI_MCP_ALLOWED_HOSTS")
    assert "long-secret" not in run.stderr


def test_the_default_transport_is_stdio_and_http_binds_loopback_port_8000() -> None:
    assert parse_args([]).transport == "stdio"
    http = parse_args(["--transport", "http"])
    assert (http.host, http.port) == ("127.0.0.1", 8000)


def test_flags_become_setting_overrides_and_unset_flags_stay_unset() -> None:
    args = parse_args(["--demo", "--read-only", "--toolsets", "devices,logs", "--audit-log", "-", "check"])
    assert args.command == "check"
    assert args.overrides.demo is True
    assert args.overrides.read_only is True
    assert args.overrides.toolsets == "devices,logs"
    assert args.overrides.audit_log == "-"
    assert args.overrides.confirm is None
    assert args.overrides.devices is None


def test_a_bad_flag_raises_a_usage_error_instead_of_exiting() -> None:
    with pytest.raises(UsageError, match="--nope"):
        parse_args(["--nope"])


def test_the_demo_help_shows_inspector_claude_code_and_claude_desktop_snippets() -> None:
    text = demo_help("http://127.0.0.1:8000/mcp", auth=False)
    assert "npx @modelcontextprotocol/inspector" in text
    assert "claude mcp add --transport http nuki http://127.0.0.1:8000/mcp" in text
    desktop = json.loads(next(line for line in text.splitlines() if line.strip().startswith("{")))
    assert desktop["mcpServers"]["nuki"]["args"] == ["--demo"]
    assert "Authorization" not in text
    with_auth = demo_help("http://127.0.0.1:8000/mcp", auth=True)
    assert '--header "Authorization: Bearer $NUKI_MCP_AUTH_TOKEN"' in with_auth
