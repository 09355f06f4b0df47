"""`nuki-mcp audit`, run as a real process: the terminal report, the stable JSON and the exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pydantic import JsonValue, TypeAdapter

from nuki_mcp.__main__ import parse_args
from nuki_mcp.audit import AccountFacts, AuditContext, DeviceAudit, build_report
from nuki_mcp.audit.render import render_text
from nuki_mcp.nuki.models import Smartlock, SmartlockState

DEADLINE_S = 60.0
REPORT_KEYS = {"version", "generated_at", "min_severity", "devices", "counts", "findings"}
FINDING_KEYS = {"rule_id", "severity", "device", "title", "evidence", "fix"}
_JSON = TypeAdapter(dict[str, JsonValue])
_ROWS = TypeAdapter(list[dict[str, JsonValue]])


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


def run_audit(tmp_path: Path, *args: str, encoding: str = "utf-8", **env: str) -> Run:
    """`python -m nuki_mcp audit ...` with a clean NUKI_* environment plus `env`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NUKI_")}
    clean.update(XDG_STATE_HOME=str(tmp_path / "state"), PYTHONIOENCODING=encoding, **env)
    done = subprocess.run(
        [sys.executable, "-m", "nuki_mcp", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        encoding="utf-8",
        env=clean,
        cwd=tmp_path,
        timeout=DEADLINE_S,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def report_of(run: Run) -> dict[str, JsonValue]:
    return _JSON.validate_json(run.stdout)


def rows(report: dict[str, JsonValue], key: str) -> list[dict[str, JsonValue]]:
    return _ROWS.validate_python(report[key])


def assert_one_line_error(run: Run, *names: str) -> None:
    assert run.code == 2, run.stderr
    assert len(run.stderr.splitlines()) == 1, run.stderr
    assert "Traceback" not in run.stderr
    assert run.stdout == ""
    for name in names:
        assert name in run.stderr


# --- the report ----------------------------------------------------------------------------------


def test_the_demo_audit_is_grouped_by_device_with_marked_severities_and_exits_1(tmp_path: Path) -> None:
    run = run_audit(tmp_path, "audit", "--demo")
    assert run.code == 1, run.stderr
    assert run.stderr == ""
    lines = run.stdout.splitlines()
    assert lines[0].startswith("Nuki configuration audit (simulated demo account): 5 devices")
    assert lines[1] == "2 critical, 13 warning, 4 info"
    headings = [line for line in lines if line and not line.startswith(" ") and "(" in line][1:]
    assert [h.split(" (")[0] for h in headings] == ["Cellar Door", "Garage", "Front Door"]
    cellar = lines.index(headings[0])
    assert lines[cellar + 1].startswith("  ✖ critical  The battery is critical (9 %)")
    assert lines[cellar + 1].endswith("[battery-critical]")
    assert 'fix: update_advanced_config(smartlock="Cellar Door", auto_lock=true, auto_lock_timeout=300)' in run.stdout
    assert "▲ warning" in run.stdout
    assert "• info" in run.stdout
    assert lines[-1] == "Nothing found on: Back Door, Building Entrance"


def test_a_terminal_that_cannot_show_the_marks_gets_ascii_ones(tmp_path: Path) -> None:
    run = run_audit(tmp_path, "audit", "--demo", encoding="ascii:backslashreplace")
    assert run.code == 1, run.stderr
    assert "  X critical  The battery is critical" in run.stdout
    assert "! warning" in run.stdout
    assert "✖" not in run.stdout


def test_the_json_report_has_a_stable_shape_with_sorted_keys(tmp_path: Path) -> None:
    run = run_audit(tmp_path, "audit", "--demo", "--json")
    assert run.code == 1, run.stderr
    report = report_of(run)
    assert set(report) == REPORT_KEYS
    assert report["version"] == 1
    assert report["min_severity"] == "info"
    assert report["counts"] == {"critical": 2, "warning": 13, "info": 4}
    assert {str(d["name"]) for d in rows(report, "devices")} == {
        "Front Door",
        "Cellar Door",
        "Building Entrance",
        "Back Door",
        "Garage",
    }
    findings = rows(report, "findings")
    assert len(findings) == 19
    for finding in findings:
        assert set(finding) == FINDING_KEYS
        device = finding["device"]
        assert device is None or (isinstance(device, dict) and set(device) == {"id", "name"})
    assert findings[0]["rule_id"] == "battery-critical"

    def keys_sorted(pairs: list[tuple[str, object]]) -> dict[str, object]:
        keys = [key for key, _ in pairs]
        assert keys == sorted(keys)
        return dict(pairs)

    json.loads(run.stdout, object_pairs_hook=keys_sorted)


def test_min_severity_hides_findings_but_a_critical_one_still_makes_the_exit_code_1(tmp_path: Path) -> None:
    run = run_audit(tmp_path, "audit", "--demo", "--json", "--min-severity", "critical")
    assert run.code == 1, run.stderr
    report = report_of(run)
    assert {str(f["severity"]) for f in rows(report, "findings")} == {"critical"}
    assert report["counts"] == {"critical": 2, "warning": 13, "info": 4}
    text = run_audit(tmp_path, "audit", "--demo", "--min-severity", "warning")
    assert text.code == 1
    assert "4 findings below warning not shown." in text.stdout


def test_without_critical_findings_the_exit_code_is_0(tmp_path: Path) -> None:
    run = run_audit(tmp_path, "--demo", "audit", "--devices", "Front Door")
    assert run.code == 0, run.stderr
    assert "Front Door" in run.stdout
    assert "Cellar Door" not in run.stdout
    assert "✖" not in run.stdout


def _lock(name: str, smartlock_id: int, **state: object) -> Smartlock:
    healthy = SmartlockState(mode=2, state=1, battery_critical=False, battery_charge=80, door_state=2)
    return Smartlock(smartlock_id=smartlock_id, type=4, name=name, state=healthy.model_copy(update=state))


def test_the_text_report_puts_account_wide_findings_last_and_says_when_nothing_was_found() -> None:
    context = AuditContext(now=datetime(2026, 11, 22, 9, 0, tzinfo=UTC))
    devices = [DeviceAudit(_lock("Shed", 2, door_state=3)), DeviceAudit(_lock("Attic", 1))]
    text = render_text(build_report(devices, AccountFacts(webhooks=[]), context), ascii_only=True)
    lines = text.splitlines()
    assert lines[1] == "0 critical, 1 warning, 1 info"
    assert lines[3:8] == [
        "Shed (2)",
        "  ! warning   The door is open right now. [door-open]",
        '              fix: Close the door of Shed, then lock_smartlock(smartlock="Shed").',
        "",
        "Account",
    ]
    assert lines[-1] == "Nothing found on: Attic"
    clean = render_text(build_report(devices[1:], AccountFacts(webhooks=None, include_webhooks=False), context))
    assert clean.splitlines()[-2:] == ["", "No findings."]


def test_audit_flags_are_parsed_into_the_command_line_arguments() -> None:
    args = parse_args(["audit", "--json", "--min-severity", "warning", "--demo"])
    assert (args.command, args.json_output, args.min_severity, args.overrides.demo) == ("audit", True, "warning", True)
    plain = parse_args(["audit"])
    assert (plain.json_output, plain.min_severity) == (False, "info")


# --- errors: exit code 2 and one line ------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "env", "names"),
    [
        (["audit"], {}, ["NUKI_API_TOKEN"]),
        (["audit", "--demo", "--timeout", "soon"], {}, ["--timeout", "soon"]),
        (["audit", "--demo", "--min-severity", "fatal"], {}, ["--min-severity", "fatal"]),
        (["audit"], {"NUKI_API_TOKEN": "t", "NUKI_API_URL": "ftp://nuki"}, ["NUKI_API_URL"]),
    ],
)
def test_a_bad_setting_is_one_line_on_stderr_and_exit_code_2(
    tmp_path: Path, args: list[str], env: dict[str, str], names: list[str]
) -> None:
    assert_one_line_error(run_audit(tmp_path, *args, **env), *names)


class _Rejecting(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        payload = json.dumps({"detailMessage": "Your access token is not authorized"}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        return


@contextmanager
def rejecting_nuki() -> Generator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Rejecting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=DEADLINE_S)


def test_a_token_nuki_rejects_is_one_line_on_stderr_and_exit_code_2(tmp_path: Path) -> None:
    with rejecting_nuki() as url:
        run = run_audit(tmp_path, "audit", "--json", "--api-url", url, NUKI_API_TOKEN="revoked-token")
    assert_one_line_error(run, "rejected the API token")
    assert "revoked-token" not in run.stderr
