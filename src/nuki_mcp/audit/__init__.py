"""The configuration audit: rules (`rules.py`, pure), fetching (`collect.py`) and reports (`render.py`).

The package exports the rules and the report types. `collect_audit` (`nuki_mcp.audit.collect`) and
the renderers (`nuki_mcp.audit.render`) are imported from their modules, so that importing the
report types does not load the HTTP client.
"""

from nuki_mcp.audit.rules import (
    RULES,
    SEVERITIES,
    SEVERITY_RANK,
    AccountFacts,
    AuditContext,
    AuditDevice,
    AuditReport,
    DeviceAudit,
    Finding,
    Owner,
    Rule,
    Severity,
    SeverityCounts,
    audit_account,
    audit_auths,
    audit_device,
    build_report,
    run_rules,
    sort_findings,
)

__all__ = [
    "RULES",
    "SEVERITIES",
    "SEVERITY_RANK",
    "AccountFacts",
    "AuditContext",
    "AuditDevice",
    "AuditReport",
    "DeviceAudit",
    "Finding",
    "Owner",
    "Rule",
    "Severity",
    "SeverityCounts",
    "audit_account",
    "audit_auths",
    "audit_device",
    "build_report",
    "run_rules",
    "sort_findings",
]
