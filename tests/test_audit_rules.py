"""The audit rules as pure functions: each rule fires on an example and stays quiet on its near miss."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import BaseModel

from nuki_mcp.audit import (
    RULES,
    AccountFacts,
    AuditContext,
    AuditDevice,
    DeviceAudit,
    Finding,
    Owner,
    audit_account,
    audit_auths,
    audit_device,
    build_report,
    sort_findings,
)
from nuki_mcp.nuki.models import (
    DecentralWebhook,
    OpenerAdvancedConfig,
    SmartdoorAdvancedConfig,
    Smartlock,
    SmartlockAdvancedConfig,
    SmartlockAuth,
    SmartlockConfig,
    SmartlockState,
)

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
OWNER = Owner(name="Anna Berger", account_user_ids=frozenset({2001}))
CONTEXT = AuditContext(now=NOW, owner=OWNER)
RULES_DOC = Path(__file__).parent.parent / "docs" / "audit-rules.md"
README = Path(__file__).parent.parent / "README.md"
SECRET_CODE = 385924
# Their examples are in test_audit_rules_properties.py.
PROPERTY_RULES = {"reservation-access-not-revoked", "reservation-starts-without-access", "notification-failed"}


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


# --- healthy examples, and variations of them ----------------------------------------------------


def smart_lock(name: str = "Front Door", smartlock_id: int = 17618910285) -> Smartlock:
    """A Smart Lock 4 with nothing to report."""
    return Smartlock(
        smartlock_id=smartlock_id,
        type=4,
        name=name,
        config=SmartlockConfig(name=name, pairing_enabled=False, keypad_paired=True),
        advanced_config=SmartlockAdvancedConfig(auto_lock=True, auto_lock_timeout=300, auto_update_enabled=True),
        state=SmartlockState(
            mode=2,
            state=1,
            battery_critical=False,
            battery_charging=False,
            battery_charge=80,
            keypad_battery_critical=False,
            doorsensor_battery_critical=False,
            door_state=2,
        ),
        server_state=0,
        admin_pin_state=0,
    )


def smart_door() -> Smartlock:
    return Smartlock(
        smartlock_id=14182936432,
        type=3,
        name="Back Door",
        config=SmartlockConfig(name="Back Door", pairing_enabled=False),
        smartdoor_advanced_config=SmartdoorAdvancedConfig(auto_lock=True, auto_lock_timeout=120),
        state=SmartlockState(mode=2, state=1, battery_critical=False, battery_charge=70, door_state=2),
    )


def opener() -> Smartlock:
    return Smartlock(
        smartlock_id=9601637999,
        type=2,
        name="Building Entrance",
        config=SmartlockConfig(name="Building Entrance", pairing_enabled=False),
        opener_advanced_config=OpenerAdvancedConfig(rto_timeout=20, auto_update_enabled=True),
        state=SmartlockState(mode=2, state=1, battery_critical=False, door_state=0),
    )


def changed(model: BaseModel, **fields: object) -> Smartlock:
    copy = model.model_copy(update=fields, deep=True)
    assert isinstance(copy, Smartlock)
    return copy


def with_state(device: Smartlock, **fields: object) -> Smartlock:
    assert device.state is not None
    return changed(device, state=device.state.model_copy(update=fields))


def with_advanced(device: Smartlock, **fields: object) -> Smartlock:
    assert device.advanced_config is not None
    return changed(device, advanced_config=device.advanced_config.model_copy(update=fields))


def with_smartdoor(device: Smartlock, **fields: object) -> Smartlock:
    assert device.smartdoor_advanced_config is not None
    return changed(device, smartdoor_advanced_config=device.smartdoor_advanced_config.model_copy(update=fields))


def with_opener(device: Smartlock, **fields: object) -> Smartlock:
    assert device.opener_advanced_config is not None
    return changed(device, opener_advanced_config=device.opener_advanced_config.model_copy(update=fields))


def app_user(**fields: object) -> SmartlockAuth:
    """Jonas's app authorization: used two days ago, no time limit, no remote access."""
    auth = SmartlockAuth(
        id="65a0c3e1b2d4f60718290002",
        smartlock_id=17618910285,
        account_user_id=2002,
        type=0,
        name="Jonas Berger",
        enabled=True,
        remote_allowed=False,
        lock_count=40,
        last_active_date=days_ago(2),
        creation_date=days_ago(300),
    )
    return auth.model_copy(update=fields)


def keypad_code(**fields: object) -> SmartlockAuth:
    """The cleaner's keypad code: Mondays 08:00-12:00, used last week."""
    auth = SmartlockAuth(
        id="65a0c3e1b2d4f60718290005",
        smartlock_id=17618910285,
        code=SECRET_CODE,
        type=13,
        name="Cleaner",
        enabled=True,
        remote_allowed=False,
        lock_count=74,
        allowed_week_days=64,
        allowed_from_time=480,
        allowed_until_time=720,
        last_active_date=days_ago(6),
        creation_date=days_ago(260),
    )
    return auth.model_copy(update=fields)


UNRESTRICTED = {"allowed_week_days": None, "allowed_from_time": None, "allowed_until_time": None}
WEBHOOK = DecentralWebhook(id=1, webhook_url="https://home.example.com/nuki", webhook_features=["DEVICE_STATUS"])


def rule_ids(findings: list[Finding]) -> list[str]:
    return [f.rule_id for f in findings]


# --- device rules --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceCase:
    rule_id: str
    fires: Smartlock
    quiet: Smartlock


DEVICE_CASES = [
    DeviceCase("battery-critical", with_state(smart_lock(), battery_critical=True, battery_charge=6), smart_lock()),
    DeviceCase("battery-low", with_state(smart_lock(), battery_charge=19), with_state(smart_lock(), battery_charge=20)),
    DeviceCase(
        "battery-low",
        with_state(smart_door(), battery_charge=12),
        with_state(smart_lock(), battery_charge=12, battery_charging=True),
    ),
    DeviceCase("keypad-battery-critical", with_state(smart_lock(), keypad_battery_critical=True), smart_lock()),
    DeviceCase(
        "door-sensor-battery-critical", with_state(smart_lock(), doorsensor_battery_critical=True), smart_lock()
    ),
    DeviceCase("device-offline", changed(smart_lock(), server_state=4), smart_lock()),
    DeviceCase("device-offline", changed(opener(), server_state=1), opener()),
    DeviceCase("admin-pin-missing", changed(smart_lock(), admin_pin_state=1), changed(smart_lock(), admin_pin_state=2)),
    DeviceCase("admin-pin-invalid", changed(smart_lock(), admin_pin_state=2), changed(smart_lock(), admin_pin_state=1)),
    DeviceCase("lock-uncalibrated", with_state(smart_lock(), state=0), with_state(opener(), state=0)),
    DeviceCase("motor-blocked", with_state(smart_lock(), state=254), with_state(smart_lock(), state=3)),
    DeviceCase("door-sensor-missing", with_state(smart_lock(), door_state=0), opener()),
    DeviceCase("door-sensor-missing", with_state(smart_door(), door_state=240), smart_door()),
    DeviceCase("door-sensor-deactivated", with_state(smart_lock(), door_state=1), smart_lock()),
    DeviceCase("door-sensor-uncalibrated", with_state(smart_lock(), door_state=16), smart_lock()),
    DeviceCase("door-open", with_state(smart_lock(), door_state=3, state=3), with_state(smart_lock(), state=3)),
    DeviceCase("auto-lock-off", with_advanced(smart_lock(), auto_lock=False), smart_lock()),
    DeviceCase("auto-lock-off", with_smartdoor(smart_door(), auto_lock=False), smart_door()),
    DeviceCase(
        "auto-lock-timeout-long",
        with_advanced(smart_lock(), auto_lock_timeout=3600),
        with_advanced(smart_lock(), auto_lock_timeout=1800),
    ),
    DeviceCase(
        "auto-lock-timeout-long",
        with_smartdoor(smart_door(), auto_lock_timeout=2400),
        with_smartdoor(smart_door(), auto_lock=False, auto_lock_timeout=2400),
    ),
    DeviceCase("pairing-enabled", changed(smart_lock(), config=SmartlockConfig(pairing_enabled=True)), smart_lock()),
    DeviceCase("auto-update-off", with_advanced(smart_lock(), auto_update_enabled=False), smart_lock()),
    DeviceCase("auto-update-off", with_opener(opener(), auto_update_enabled=False), opener()),
    DeviceCase("opener-continuous-mode", with_state(opener(), mode=3), with_state(opener(), state=3)),
    DeviceCase(
        "ring-to-open-timeout-long", with_opener(opener(), rto_timeout=45), with_opener(opener(), rto_timeout=30)
    ),
]


def test_the_healthy_examples_have_nothing_to_report() -> None:
    for device in (smart_lock(), smart_door(), opener()):
        assert audit_device(device, CONTEXT) == [], device.name
    assert audit_auths(smart_lock(), [app_user(), keypad_code()], CONTEXT) == []


@pytest.mark.parametrize("case", DEVICE_CASES, ids=lambda c: c.rule_id)
def test_a_device_rule_fires_on_its_example_and_not_on_the_near_miss(case: DeviceCase) -> None:
    fired = [f for f in audit_device(case.fires, CONTEXT) if f.rule_id == case.rule_id]
    assert len(fired) == 1
    assert fired[0].severity == RULES[case.rule_id].severity
    assert fired[0].device == AuditDevice(name=case.fires.name, id=case.fires.smartlock_id)
    assert fired[0].evidence
    assert fired[0].fix
    assert case.rule_id not in rule_ids(audit_device(case.quiet, CONTEXT))


def test_device_findings_carry_decoded_evidence_and_an_exact_fix() -> None:
    cellar = with_advanced(smart_lock("Cellar Door", 186395966), auto_lock=False)
    (finding,) = audit_device(cellar, CONTEXT)
    assert finding.rule_id == "auto-lock-off"
    assert finding.evidence == {"auto_lock": False, "auto_lock_timeout_s": 300}
    assert finding.fix == 'update_advanced_config(smartlock="Cellar Door", auto_lock=true)'
    door = audit_device(with_smartdoor(smart_door(), auto_lock=False), CONTEXT)
    assert door[0].fix == 'update_smartdoor_advanced_config(smartlock="Back Door", auto_lock=true)'
    offline = audit_device(changed(smart_lock(), server_state=4), CONTEXT)
    assert offline[0].evidence == {"server_state": "offline"}
    entrance = audit_device(with_state(opener(), mode=3), CONTEXT)
    assert entrance[0].fix == ('smartlock_action(smartlock="Building Entrance", action="deactivate_continuous_mode")')


@pytest.mark.parametrize("timeout", [0, 1, None])
def test_turning_auto_lock_on_from_a_timeout_below_nukis_minimum_also_sets_a_sensible_timeout(
    timeout: int | None,
) -> None:
    cellar = with_advanced(smart_lock("Cellar Door", 186395966), auto_lock=False, auto_lock_timeout=timeout)
    (finding,) = audit_device(cellar, CONTEXT)
    assert finding.rule_id == "auto-lock-off"
    assert finding.fix == 'update_advanced_config(smartlock="Cellar Door", auto_lock=true, auto_lock_timeout=300)'
    assert finding.evidence == {"auto_lock": False, "auto_lock_timeout_s": timeout, "minimum_timeout_s": 2}
    door = with_smartdoor(smart_door(), auto_lock=False, auto_lock_timeout=timeout)
    (door_finding,) = audit_device(door, CONTEXT)
    assert door_finding.fix == (
        'update_smartdoor_advanced_config(smartlock="Back Door", auto_lock=true, auto_lock_timeout=300)'
    )


def test_a_critical_battery_is_not_also_reported_as_low() -> None:
    findings = audit_device(with_state(smart_lock(), battery_critical=True, battery_charge=5), CONTEXT)
    assert rule_ids(findings) == ["battery-critical"]


# --- authorization rules -------------------------------------------------------------------------


@dataclass(frozen=True)
class AuthCase:
    rule_id: str
    fires: SmartlockAuth
    quiet: SmartlockAuth


AUTH_CASES = [
    AuthCase(
        "auth-expired",
        keypad_code(allowed_until_date=days_ago(1)),
        keypad_code(allowed_until_date=NOW + timedelta(days=1)),
    ),
    AuthCase("auth-disabled", keypad_code(enabled=False), keypad_code()),
    AuthCase("auth-disabled", app_user(enabled=False), keypad_code(enabled=False, allowed_until_date=days_ago(3))),
    AuthCase("keypad-code-unrestricted", keypad_code(**UNRESTRICTED), keypad_code()),
    AuthCase(
        "keypad-code-unrestricted",
        keypad_code(name="Family", allowed_week_days=127, allowed_from_time=0, allowed_until_time=0),
        keypad_code(name="anna berger", **UNRESTRICTED),
    ),
    AuthCase(
        "keypad-code-unrestricted",
        keypad_code(name="Garden helper", allowed_week_days=127, allowed_from_time=0, allowed_until_time=1440),
        keypad_code(name="Anna", account_user_id=2001, **UNRESTRICTED),
    ),
    AuthCase(
        "keypad-code-unrestricted",
        keypad_code(name="Neighbour", **UNRESTRICTED),
        keypad_code(name="Neighbour", enabled=False, **UNRESTRICTED),
    ),
    AuthCase(
        "keypad-code-unrestricted",
        keypad_code(name="Neighbour", allowed_from_date=days_ago(30), **UNRESTRICTED),
        keypad_code(name="Neighbour", allowed_from_date=NOW + timedelta(days=1), **UNRESTRICTED),
    ),
    AuthCase(
        "remote-access-time-limited",
        app_user(remote_allowed=True, allowed_until_date=NOW + timedelta(days=30)),
        app_user(remote_allowed=True),
    ),
    AuthCase(
        "remote-access-time-limited",
        keypad_code(remote_allowed=True),
        app_user(remote_allowed=True, allowed_until_date=days_ago(2), enabled=True),
    ),
    AuthCase("auth-unused", app_user(last_active_date=days_ago(91)), app_user(last_active_date=days_ago(89))),
    AuthCase(
        "auth-unused",
        keypad_code(last_active_date=days_ago(200)),
        keypad_code(last_active_date=days_ago(200), enabled=False),
    ),
    AuthCase(
        "auth-never-used",
        keypad_code(last_active_date=None, lock_count=0, creation_date=days_ago(30)),
        keypad_code(last_active_date=None, lock_count=0, creation_date=days_ago(3)),
    ),
    AuthCase(
        "auth-never-used",
        keypad_code(last_active_date=None, lock_count=0, allowed_from_date=days_ago(20), creation_date=days_ago(60)),
        keypad_code(
            last_active_date=None, lock_count=0, allowed_from_date=NOW + timedelta(days=7), creation_date=days_ago(60)
        ),
    ),
    AuthCase(
        "auth-never-used",
        keypad_code(last_active_date=None, lock_count=0, allowed_from_date=days_ago(15), creation_date=None),
        keypad_code(last_active_date=None, lock_count=0, allowed_from_date=days_ago(5), creation_date=days_ago(60)),
    ),
    AuthCase(
        "auth-never-used",
        app_user(last_active_date=None, lock_count=0, creation_date=None),
        app_user(type=1, name="Bridge", last_active_date=None, lock_count=0, creation_date=days_ago(300)),
    ),
]


@pytest.mark.parametrize("case", AUTH_CASES, ids=lambda c: c.rule_id)
def test_an_authorization_rule_fires_on_its_example_and_not_on_the_near_miss(case: AuthCase) -> None:
    device = smart_lock()
    fired = [f for f in audit_auths(device, [case.fires], CONTEXT) if f.rule_id == case.rule_id]
    assert len(fired) == 1
    assert fired[0].severity == RULES[case.rule_id].severity
    assert fired[0].device == AuditDevice(name=device.name, id=device.smartlock_id)
    assert fired[0].evidence["auth_id"] == case.fires.id
    assert case.fires.id in fired[0].fix
    assert case.rule_id not in rule_ids(audit_auths(device, [case.quiet], CONTEXT))


def test_an_expired_disabled_unrestricted_code_is_reported_once_as_expired() -> None:
    stale = keypad_code(enabled=False, allowed_until_date=days_ago(40), last_active_date=days_ago(120), **UNRESTRICTED)
    assert rule_ids(audit_auths(smart_lock(), [stale], CONTEXT)) == ["auth-expired"]


def test_a_code_whose_start_date_has_passed_is_not_time_limited_for_remote_access() -> None:
    started = app_user(remote_allowed=True, allowed_from_date=days_ago(10))
    assert rule_ids(audit_auths(smart_lock(), [started], CONTEXT)) == []


def test_without_a_known_owner_every_unrestricted_code_is_reported() -> None:
    anna = keypad_code(name="Anna Berger", **UNRESTRICTED)
    assert rule_ids(audit_auths(smart_lock(), [anna], CONTEXT)) == []
    unknown_owner = AuditContext(now=NOW)
    assert rule_ids(audit_auths(smart_lock(), [anna], unknown_owner)) == ["keypad-code-unrestricted"]


def test_an_expired_authorization_says_how_long_ago_and_how_to_remove_it() -> None:
    dog_sitter = keypad_code(name="Dog sitter", allowed_until_date=days_ago(31))
    (finding,) = audit_auths(smart_lock(), [dog_sitter], CONTEXT)
    assert finding.evidence["expired_days_ago"] == 31
    assert finding.evidence["allowed_until_date"] == "2026-10-22T09:00:00Z"
    assert "Dog sitter" in finding.title
    assert finding.fix == f'delete_smartlock_auth(smartlock="Front Door", auth_id="{dog_sitter.id}")'


def test_no_finding_ever_shows_a_keypad_code() -> None:
    auths = [
        keypad_code(allowed_until_date=days_ago(1)),
        keypad_code(enabled=False),
        keypad_code(**UNRESTRICTED),
        keypad_code(remote_allowed=True, last_active_date=days_ago(100)),
        keypad_code(last_active_date=None, lock_count=0),
    ]
    findings = audit_auths(smart_lock(), auths, CONTEXT)
    assert len(findings) >= 5
    assert str(SECRET_CODE) not in "".join(f.model_dump_json() for f in findings)


# --- account rules -------------------------------------------------------------------------------


def test_no_webhook_is_an_info_finding_only_when_the_webhooks_were_read_and_are_none() -> None:
    assert rule_ids(audit_account(AccountFacts(webhooks=[]), CONTEXT)) == ["no-webhook"]
    assert rule_ids(audit_account(AccountFacts(webhooks=[WEBHOOK]), CONTEXT)) == []
    assert rule_ids(audit_account(AccountFacts(webhooks=[], include_webhooks=False), CONTEXT)) == []
    (finding,) = audit_account(AccountFacts(webhooks=[]), CONTEXT)
    assert finding.severity == "info"
    assert finding.device is None
    assert "create_decentral_webhook(" in finding.fix


def test_unreadable_webhooks_are_reported_as_not_checked_rather_than_missing() -> None:
    assert rule_ids(audit_account(AccountFacts(webhooks=None), CONTEXT)) == ["webhooks-not-checked"]
    assert rule_ids(audit_account(AccountFacts(webhooks=None, include_webhooks=False), CONTEXT)) == []


def test_devices_whose_authorizations_could_not_be_read_are_named_in_one_finding() -> None:
    facts = AccountFacts(webhooks=[WEBHOOK], devices_without_auths=[smart_lock(), opener()])
    (finding,) = audit_account(facts, CONTEXT)
    assert finding.rule_id == "auths-not-checked"
    assert finding.evidence == {
        "devices": ["Front Door", "Building Entrance"],
        "device_ids": [smart_lock().smartlock_id, opener().smartlock_id],
    }
    assert rule_ids(audit_account(AccountFacts(webhooks=[WEBHOOK]), CONTEXT)) == []


# --- the table, ordering and the report ----------------------------------------------------------


def test_every_rule_has_an_example_in_these_tests() -> None:
    account_rules = {"no-webhook", "webhooks-not-checked", "auths-not-checked"}
    account_rules |= {"integration-unused", "api-token-broad", "two-factor-off"}  # test_audit_account_rules.py
    covered = {c.rule_id for c in DEVICE_CASES} | {c.rule_id for c in AUTH_CASES} | account_rules | PROPERTY_RULES
    assert covered == set(RULES)


def test_rule_ids_are_stable_kebab_case() -> None:
    for rule_id, rule in RULES.items():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule_id), rule_id
        assert rule.id == rule_id


def test_the_rule_tables_in_the_readme_and_the_docs_match_the_rules_in_the_code() -> None:
    in_code = [(r.id, r.severity, r.scope, r.description) for r in RULES.values()]
    readme = README.read_text().split("<!-- audit-rules:start -->")[1].split("<!-- audit-rules:end -->")[0]
    for text in (RULES_DOC.read_text(), readme):
        rows = re.findall(r"^\| `([^`]+)` \| (\w+) \| (\w+) \| (.+?) \|$", text, flags=re.MULTILINE)
        assert [tuple(row) for row in rows] == in_code


def test_findings_are_sorted_by_severity_then_device_then_rule() -> None:
    cellar = with_advanced(
        with_state(smart_lock("Cellar Door", 186395966), battery_critical=True, door_state=0),
        auto_lock=False,
        auto_update_enabled=False,
    )
    garage = changed(smart_lock("Garage", 23059198081), server_state=4)
    front = smart_lock()
    entries = [
        DeviceAudit(front, [keypad_code(allowed_until_date=days_ago(2))]),
        DeviceAudit(garage),
        DeviceAudit(cellar),
    ]
    report = build_report(entries, AccountFacts(webhooks=[]), CONTEXT)
    listed = [(f.severity, f.device.name if f.device else None, f.rule_id) for f in report.findings]
    assert listed == [
        ("critical", "Cellar Door", "battery-critical"),
        ("critical", "Garage", "device-offline"),
        ("warning", "Cellar Door", "auto-lock-off"),
        ("warning", "Cellar Door", "auto-update-off"),
        ("warning", "Front Door", "auth-expired"),
        ("info", "Cellar Door", "door-sensor-missing"),
        ("info", None, "no-webhook"),
    ]
    assert sort_findings(list(reversed(report.findings))) == report.findings


def test_the_report_counts_every_finding_but_lists_only_those_of_the_minimum_severity() -> None:
    cellar = with_advanced(with_state(smart_lock("Cellar Door", 1), battery_critical=True), auto_lock=False)
    report = build_report([DeviceAudit(cellar)], AccountFacts(webhooks=[]), CONTEXT, min_severity="warning")
    assert (report.counts.critical, report.counts.warning, report.counts.info) == (1, 1, 1)
    assert [f.rule_id for f in report.findings] == ["battery-critical", "auto-lock-off"]
    assert report.has_critical
    assert report.devices == [AuditDevice(name="Cellar Door", id=1)]
    quiet = build_report([DeviceAudit(smart_lock())], AccountFacts(webhooks=[WEBHOOK]), CONTEXT)
    assert quiet.findings == []
    assert not quiet.has_critical
