"""Who can reach the account (integrations, sub-accounts, API keys), and the Opener intercom database."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from nuki_mcp.config import DEFAULT_TOOLSETS
from nuki_mcp.demo.household import (
    ACCOUNT_ID,
    ALEXA_CLIENT_ID,
    API_KEY_ID,
    BROAD_TOKEN_ID,
    JONAS_SUB_ACCOUNT_ID,
    THIS_TOKEN_CLIENT_ID,
    THIS_TOKEN_NAME,
)
from nuki_mcp.nuki.models import ApiKey
from tests.support import Elicitations, Harness, call_error, call_ok, dumps, rows

pytestmark = pytest.mark.anyio


async def test_integrations_list_this_token_and_say_how_long_each_has_been_inactive(tmp_path: Path) -> None:
    async with Harness(tmp_path).client() as client:
        listing = await call_ok(client, "list_account_integrations")
    found = {str(i["name"]): i for i in rows(listing, "integrations")}
    assert found[THIS_TOKEN_NAME]["kind"] == "api_token"
    assert found[THIS_TOKEN_NAME]["inactive_days"] == 0
    assert "smartlock.action" in str(found[THIS_TOKEN_NAME]["scopes"])
    assert found["Amazon Alexa"]["inactive_days"] == 200
    assert found["Amazon Alexa"]["integration_id"] == ALEXA_CLIENT_ID
    assert found["Anna's iPhone"]["kind"] == "device"
    assert listing["total"] == 5


async def test_revoking_an_integration_asks_first_then_it_is_gone(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    human = Elicitations()
    async with harness.client(elicitation=human) as client:
        result = await call_ok(client, "revoke_account_integration", {"integration": "alexa"})
        after = await call_ok(client, "list_account_integrations")
    assert result["status"] == "done"
    assert "Amazon Alexa" in human.questions[0]
    assert "Amazon Alexa" not in [i["name"] for i in rows(after, "integrations")]
    assert [(w.method, w.path, w.query) for w in harness.sim.writes()] == [
        ("DELETE", "/account/integration", {"apiKeyId": ALEXA_CLIENT_ID})
    ]


async def test_revoking_an_api_token_sends_its_token_id_and_warns_it_may_be_this_servers_own(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    human = Elicitations()
    async with harness.client(elicitation=human) as client:
        await call_ok(client, "revoke_account_integration", {"integration": f"{THIS_TOKEN_CLIENT_ID}/{BROAD_TOKEN_ID}"})
    assert "nuki-mcp itself" in human.questions[0]
    assert [w.query for w in harness.sim.writes()] == [{"tokenId": BROAD_TOKEN_ID}]
    assert "Old scripts" not in [i.name for i in harness.sim.integrations()]


async def test_once_this_servers_own_token_is_revoked_nuki_refuses_it(tmp_path: Path) -> None:
    async with Harness(tmp_path).client() as client:
        await call_ok(client, "revoke_account_integration", {"integration": THIS_TOKEN_NAME})
        error = await call_error(client, "list_smartlocks")
    assert "401" in error


async def test_an_unknown_or_ambiguous_integration_is_refused_with_the_choices(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        unknown = await call_error(client, "revoke_account_integration", {"integration": "Google Home"})
        several = await call_error(client, "revoke_account_integration", {"integration": "o"})
    assert "Amazon Alexa" in unknown
    assert "several" in several
    assert harness.sim.writes() == []


async def test_sub_accounts_are_listed_with_their_rights_by_name(tmp_path: Path) -> None:
    async with Harness(tmp_path).client() as client:
        listing = await call_ok(client, "list_sub_accounts")
        none = await call_ok(client, "list_sub_accounts", {"email": "nobody@"})
    (jonas,) = rows(listing, "sub_accounts")
    assert jonas["account_id"] == JONAS_SUB_ACCOUNT_ID
    assert jonas["rights"] == ["operate_devices", "view_logs"]
    assert none["total"] == 0


async def test_api_keys_are_listed_without_their_credentials(tmp_path: Path) -> None:
    async with Harness(tmp_path).client() as client:
        result = await client.call_tool("list_api_keys", {})
    assert not result.is_error
    assert result.structured_content is not None
    keys = rows(result.structured_content, "api_keys")
    assert [k["api_key_id"] for k in keys] == [API_KEY_ID]
    assert "demo-oauth-client" not in dumps(result.model_dump())


async def test_webhook_logs_need_no_api_key_id_when_the_account_has_exactly_one(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        page = await call_ok(client, "get_webhook_logs", {"limit": 3})
    assert len(rows(page, "deliveries")) == 3
    assert harness.sim.requests[-1].path == f"/api/key/{API_KEY_ID}/webhook/logs"


async def test_webhook_logs_without_api_key_id_list_the_keys_when_there_are_several(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    created = harness.clock.now() - timedelta(days=3)
    harness.sim.add_api_key(
        ApiKey(api_key_id=7002, account_id=ACCOUNT_ID, description="Rental app", creation_date=created)
    )
    async with harness.client() as client:
        error = await call_error(client, "get_webhook_logs", {})
        chosen = await call_ok(client, "get_webhook_logs", {"api_key_id": API_KEY_ID, "limit": 1})
    assert str(API_KEY_ID) in error
    assert "7002 (Rental app)" in error
    assert len(rows(chosen, "deliveries")) == 1


async def test_intercom_models_are_found_by_brand_name_with_compatibility_and_wiring(tmp_path: Path) -> None:
    async with Harness(tmp_path).client() as client:
        brands = await call_ok(client, "list_intercom_brands", {"name": "sied"})
        models = await call_ok(client, "list_intercom_models", {"brand": "siedle"})
        unknown = await call_error(client, "list_intercom_models", {"brand": "Acme"})
    assert [b["brand"] for b in rows(brands, "brands")] == ["Siedle"]
    by_model = {str(m["model"]): m for m in rows(models, "models")}
    assert by_model["HTS 811"]["compatibility"] == "verified"
    assert by_model["BTS 850"]["compatibility"] == "may_be_compatible"
    assert by_model["HTA 711"]["wiring"] == {
        "gnd_bus": "",
        "bus_audio": "",
        "audio_out": "",
        "doorbell_plus": "7",
        "doorbell_minus": "1",
        "open_door": "15",
        "gnd_analogue": "1",
    }
    assert "list_intercom_brands" in unknown


async def test_the_intercom_toolset_is_opt_in(tmp_path: Path) -> None:
    async with Harness(tmp_path, toolsets=DEFAULT_TOOLSETS).client() as client:
        default = {t.name for t in (await client.list_tools()).tools}
    async with Harness(tmp_path, toolsets=frozenset({"intercom"})).client() as client:
        alone = {t.name for t in (await client.list_tools()).tools}
    assert not {"list_intercom_brands", "list_intercom_models"} & default
    assert alone == {"list_intercom_brands", "list_intercom_models"}


async def test_the_audit_of_the_demo_account_finds_the_unused_integration_broad_tokens_and_no_2fa(
    tmp_path: Path,
) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        everything = await call_ok(client, "audit_smartlocks")
        await call_ok(client, "revoke_account_integration", {"integration": "Amazon Alexa"})
        after = await call_ok(client, "audit_smartlocks")
        narrowed = await call_ok(client, "audit_smartlocks", {"smartlock": "Front Door"})
    found = {str(f["rule_id"]): f for f in rows(everything, "findings")}
    assert "Amazon Alexa" in str(found["integration-unused"]["title"])
    assert "Old scripts" in str(found["api-token-broad"]["title"])
    assert found["two-factor-off"]["severity"] == "warning"
    assert "integration-unused" not in {str(f["rule_id"]) for f in rows(after, "findings")}
    narrowed_rules = {str(f["rule_id"]) for f in rows(narrowed, "findings")}
    assert not {"integration-unused", "api-token-broad", "two-factor-off"} & narrowed_rules
