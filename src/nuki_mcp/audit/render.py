"""The audit report for people (a terminal report grouped by device) and for programs (stable JSON).

The JSON is `AuditReport` as is, keys sorted, two-space indented; its shape is documented in
`docs/audit-rules.md` and carries `version` (bumped only when the shape changes incompatibly).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from nuki_mcp.audit.rules import SEVERITIES, AuditDevice, AuditReport, Finding, Severity

MARKS: Final[Mapping[Severity, str]] = MappingProxyType(
    {"critical": "✖ critical", "warning": "▲ warning", "info": "• info"}
)
ASCII_MARKS: Final[Mapping[Severity, str]] = MappingProxyType(
    {"critical": "X critical", "warning": "! warning", "info": "- info"}
)
_ACCOUNT: Final = "Account"
_INDENT: Final = "  "


def render_json(report: AuditReport) -> str:
    """The report as JSON with sorted keys, ending in a newline."""
    return json.dumps(report.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_text(report: AuditReport, *, demo: bool = False, ascii_only: bool | None = None) -> str:
    """A terminal report: a header with the counts, then the findings grouped by device, worst first.

    `ascii_only` None means: use the Unicode marks only if standard output can encode them.
    """
    marks = ASCII_MARKS if (_stdout_is_ascii() if ascii_only is None else ascii_only) else MARKS
    width = max(len(mark) for mark in marks.values())
    where = " (simulated demo account)" if demo else ""
    when = report.generated_at.strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Nuki configuration audit{where}: {_plural(len(report.devices), 'device')}, {when}",
        ", ".join(f"{getattr(report.counts, s)} {s}" for s in SEVERITIES),
    ]
    for heading, findings in _groups(report.findings):
        lines += ["", heading]
        for finding in findings:
            lines.append(f"{_INDENT}{marks[finding.severity]:<{width}}  {finding.title} [{finding.rule_id}]")
            lines.append(f"{_INDENT}{'':<{width}}  fix: {finding.fix}")
    hidden = sum(getattr(report.counts, s) for s in SEVERITIES) - len(report.findings)
    if hidden:
        lines += ["", f"{_plural(hidden, 'finding')} below {report.min_severity} not shown."]
    clean = _without_findings(report)
    if not report.findings and not hidden:
        lines += ["", "No findings."]
    elif clean:
        lines += ["", "Nothing found on: " + ", ".join(d.name for d in clean)]
    return "\n".join(lines) + "\n"


def _groups(findings: list[Finding]) -> list[tuple[str, list[Finding]]]:
    """Findings by device in order of first appearance (the worst device first), account last."""
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(_heading(finding.device), []).append(finding)
    account = groups.pop(_ACCOUNT, None)
    ordered = list(groups.items())
    if account:
        ordered.append((_ACCOUNT, account))
    return ordered


def _heading(device: AuditDevice | None) -> str:
    return _ACCOUNT if device is None else f"{device.name} ({device.id})"


def _without_findings(report: AuditReport) -> list[AuditDevice]:
    """Devices with no finding at any severity (hidden findings count as findings)."""
    if len(report.findings) != sum(getattr(report.counts, s) for s in SEVERITIES):
        return []  # some findings are hidden: we cannot tell which devices are clean
    seen = {f.device.id for f in report.findings if f.device is not None}
    return [d for d in report.devices if d.id not in seen]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _stdout_is_ascii() -> bool:
    try:
        "".join(MARKS.values()).encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return True
    return False
