"""The audit's rules about the login itself: unused integrations, broad API tokens, two-factor authentication."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from nuki_mcp.audit import AccountFacts, AuditContext, Finding, audit_account
from nuki_mcp.nuki.models import AccountConfig, AccountIntegration, DecentralWebhook, MyAccount

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
CONTEXT = AuditContext(now=NOW)
WEBHOOK = DecentralWebhook(id=1, webhook_url="https://example.org/hook", webhook_features=["DEVICE_STATUS"])
ACCOUNT_2FA = MyAccount(account_id=1, config=AccountConfig(otp_enabled_date=NOW - timedelta(days=300)))


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def app(
    name: str, last_active: datetime | None, *, client_id: str = "7102", created: datetime | None = None
) -> AccountIntegration:
    return AccountIntegration(
        version="HYDRA",
        vendor_key="ALEXA",
        name=name,
        client_id=client_id,
        created_at=created or days_ago(900),
        last_active_at=last_active,
        scopes=["smartlock", "smartlock.action"],
    )


def token(name: str, scopes: list[str], *, token_id: str = "301") -> AccountIntegration:
    return AccountIntegration(
        version="HYDRA",
        vendor_key="API_TOKEN",
        name=name,
        client_id="7000",
        token_id=token_id,
        created_at=days_ago(30),
        last_active_at=days_ago(1),
        scopes=scopes,
    )


def facts(
    integrations: list[AccountIntegration] | None = None,
    account: MyAccount | None = ACCOUNT_2FA,
    *,
    include: bool = True,
) -> AccountFacts:
    return AccountFacts(webhooks=[WEBHOOK], integrations=integrations, account=account, include_webhooks=include)


def findings(account_facts: AccountFacts) -> dict[str, Finding]:
    return {f.rule_id: f for f in audit_account(account_facts, CONTEXT)}


def test_an_integration_not_active_for_more_than_90_days_is_a_warning_with_the_call_that_revokes_it() -> None:
    found = findings(facts([app("Amazon Alexa", days_ago(200)), app("Home Assistant", days_ago(1), client_id="7101")]))

    finding = found["integration-unused"]
    assert finding.severity == "warning"
    assert finding.device is None
    assert "Amazon Alexa" in finding.title
    assert "Home Assistant" not in finding.title
    assert finding.evidence["integrations"] == [
        {
            "name": "Amazon Alexa",
            "vendor": "ALEXA",
            "integration_id": "7102",
            "last_active": "2026-05-06T09:00:00Z",
            "inactive_days": 200,
        }
    ]
    assert 'revoke_account_integration(integration="7102")' in finding.fix


def test_an_integration_active_within_90_days_or_never_active_but_new_is_no_finding() -> None:
    recent = [app("Alexa", days_ago(89)), app("New app", None, created=days_ago(10))]
    assert "integration-unused" not in findings(facts(recent))
    never_used = findings(facts([app("Old app", None, created=days_ago(120))]))
    assert never_used["integration-unused"].evidence["integrations"] == [
        {
            "name": "Old app",
            "vendor": "ALEXA",
            "integration_id": "7102",
            "last_active": "2026-07-25T09:00:00Z",
            "inactive_days": 120,
        }
    ]


def test_a_manual_api_token_with_action_or_auth_scopes_is_broad_and_a_read_only_one_is_not() -> None:
    broad = token("Old scripts", ["smartlock", "smartlock.action", "smartlock.log"])
    granting = token("Access manager", ["smartlock.auth"], token_id="302")
    narrow = token("Dashboard", ["smartlock.readOnly", "smartlock.log"], token_id="303")
    oauth_app = app("Home Assistant", days_ago(1))  # has smartlock.action, but is no manual token

    finding = findings(facts([broad, granting, narrow, oauth_app]))["api-token-broad"]

    assert finding.severity == "info"
    assert finding.evidence["tokens"] == [
        {"name": "Old scripts", "integration_id": "7000/301", "scopes": ["smartlock.action"]},
        {"name": "Access manager", "integration_id": "7000/302", "scopes": ["smartlock.auth"]},
    ]
    assert "api-token-broad" not in findings(facts([narrow, oauth_app]))


def test_two_factor_off_is_a_warning_when_the_account_has_no_otp_enabled_date() -> None:
    without = MyAccount(account_id=1, config=AccountConfig())
    assert findings(facts([], without))["two-factor-off"].severity == "warning"
    assert "two-factor-off" in findings(facts([], MyAccount(account_id=1)))
    assert "two-factor-off" not in findings(facts([], ACCOUNT_2FA))


def test_login_rules_say_nothing_when_the_account_or_integrations_could_not_be_read_or_the_audit_is_narrowed() -> None:
    stale = [app("Amazon Alexa", days_ago(200)), token("Old scripts", ["smartlock.action"])]
    without_2fa = MyAccount(account_id=1, config=AccountConfig())
    login_rules = {"integration-unused", "api-token-broad", "two-factor-off"}

    assert login_rules <= set(findings(facts(stale, without_2fa)))
    assert not login_rules & set(findings(facts(None, None)))
    assert not login_rules & set(findings(facts(stale, without_2fa, include=False)))
