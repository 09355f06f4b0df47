"""Toolset `webhooks`: decentral webhooks are account-level writes; their secret is shown once."""

from __future__ import annotations

from pathlib import Path

import pytest

from nuki_mcp.demo.household import API_KEY_ID, FRONT_DOOR_ID, WEBHOOK_ID, WEBHOOK_SECRET, WEBHOOK_URL
from tests.support import ClientMode, Elicitations, Harness, Json, call_error, call_ok, dumps

pytestmark = pytest.mark.anyio

NEW_URL = "https://hooks.example.org/nuki"
FEATURES = ["DEVICE_STATUS", "DEVICE_MASTERDATA", "DEVICE_CONFIG", "DEVICE_LOGS", "DEVICE_AUTHS", "ACCOUNT_USER"]


def _rows(result: Json, key: str) -> list[Json]:
    rows = result[key]
    assert isinstance(rows, list)
    return [r for r in rows if isinstance(r, dict)]


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_list_shows_the_registered_webhook_without_its_secret(tmp_path: Path, mode: ClientMode) -> None:
    harness = Harness(tmp_path)
    async with harness.client(mode=mode) as client:
        result = await client.call_tool("list_decentral_webhooks", {})
    listing = result.structured_content
    assert listing == {
        "webhooks": [
            {"webhook_id": WEBHOOK_ID, "webhook_url": WEBHOOK_URL, "webhook_features": ["DEVICE_STATUS", "DEVICE_LOGS"]}
        ],
        "total": 1,
    }
    assert WEBHOOK_SECRET not in dumps(result.model_dump())


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_create_registers_the_webhook_and_returns_its_secret_once(tmp_path: Path, mode: ClientMode) -> None:
    harness = Harness(tmp_path)
    async with harness.client(mode=mode) as client:
        created = await call_ok(
            client,
            "create_decentral_webhook",
            {"webhook_url": NEW_URL, "webhook_features": ["DEVICE_LOGS", "DEVICE_AUTHS", "DEVICE_LOGS"]},
        )
        listing = await client.call_tool("list_decentral_webhooks", {})
    stored = {w.webhook_url: w for w in harness.sim.webhooks()}
    assert set(stored) == {WEBHOOK_URL, NEW_URL}
    new = stored[NEW_URL]
    assert new.webhook_features == ["DEVICE_LOGS", "DEVICE_AUTHS"]
    assert created["status"] == "done"
    assert created["webhook"] == {
        "webhook_id": new.id,
        "webhook_url": NEW_URL,
        "webhook_features": ["DEVICE_LOGS", "DEVICE_AUTHS"],
    }
    assert new.secret
    assert created["secret"] == new.secret
    assert "Store the secret" in str(created["note"])
    assert new.secret not in dumps(listing.model_dump())
    assert harness.sim.writes()[0].body == {"webhookUrl": NEW_URL, "webhookFeatures": ["DEVICE_LOGS", "DEVICE_AUTHS"]}


async def test_creating_asks_first_and_names_the_url_and_the_events(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    human = Elicitations(action="decline")
    async with harness.client(elicitation=human) as client:
        result = await call_ok(
            client, "create_decentral_webhook", {"webhook_url": NEW_URL, "webhook_features": ["DEVICE_STATUS"]}
        )
    assert result["status"] == "not_done"
    assert result["secret"] is None
    assert NEW_URL in human.questions[0]
    assert "DEVICE_STATUS" in human.questions[0]
    assert harness.sim.writes() == []
    assert [w.id for w in harness.sim.webhooks()] == [WEBHOOK_ID]


async def test_the_two_step_token_creates_the_webhook_only_on_the_second_call(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    arguments: Json = {"webhook_url": NEW_URL, "webhook_features": ["DEVICE_STATUS"]}
    async with harness.client() as client:
        first = await call_ok(client, "create_decentral_webhook", arguments)
        assert first["status"] == "confirmation_required"
        assert len(harness.sim.webhooks()) == 1
        second = await call_ok(
            client, "create_decentral_webhook", {**arguments, "confirmation_token": first["confirmation_token"]}
        )
    assert second["status"] == "done"
    assert second["confirmed_by"] == "token"
    assert NEW_URL in [w.webhook_url for w in harness.sim.webhooks()]
    audit = harness.audit_results()
    assert [(line["tool"], line["outcome"]) for line in audit] == [
        ("create_decentral_webhook", "confirmation_required"),
        ("create_decentral_webhook", "done"),
    ]
    assert audit[1]["device"] is None
    assert str(second["secret"]) not in harness.audit_path.read_text()


async def test_creating_a_second_webhook_to_the_same_url_says_so(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        result = await call_ok(
            client, "create_decentral_webhook", {"webhook_url": WEBHOOK_URL, "webhook_features": ["DEVICE_STATUS"]}
        )
    assert f"already exists (webhook_id {WEBHOOK_ID})" in str(result["summary"])
    assert len(harness.sim.webhooks()) == 2


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.org/nuki",
        "ftp://hooks.example.org/nuki",
        "hooks.example.org/nuki",
        "https://",
        "https://hooks example.org/nuki",
        "https://user:secret@hooks.example.org/nuki",
        "https://hooks.example.org:99999/nuki",
        "https://[::1/nuki",
    ],
)
async def test_a_webhook_url_that_is_not_a_valid_https_url_is_refused_with_nothing_sent(
    tmp_path: Path, url: str
) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        error = await call_error(
            client, "create_decentral_webhook", {"webhook_url": url, "webhook_features": ["DEVICE_STATUS"]}
        )
    assert "webhook_url" in error
    assert "https" in error
    assert harness.sim.writes() == []
    assert [w.id for w in harness.sim.webhooks()] == [WEBHOOK_ID]


async def test_an_unknown_feature_name_is_refused_by_the_schema(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        error = await call_error(
            client, "create_decentral_webhook", {"webhook_url": NEW_URL, "webhook_features": ["device_status"]}
        )
    schema = dumps(tools["create_decentral_webhook"].input_schema)
    for feature in [
        "DEVICE_STATUS",
        "DEVICE_MASTERDATA",
        "DEVICE_CONFIG",
        "DEVICE_LOGS",
        "DEVICE_AUTHS",
        "ACCOUNT_USER",
    ]:
        assert feature in schema
    assert "webhook_features" in error
    assert harness.sim.requests == []


async def test_delete_removes_the_webhook(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        result = await call_ok(client, "delete_decentral_webhook", {"webhook_id": WEBHOOK_ID})
    assert result["status"] == "done"
    assert WEBHOOK_URL in str(result["summary"])
    assert harness.sim.webhooks() == []
    assert [(w.method, w.path) for w in harness.sim.writes()] == [("DELETE", f"/api/decentralWebhook/{WEBHOOK_ID}")]


async def test_deleting_an_unknown_webhook_is_refused_with_nothing_sent(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        error = await call_error(client, "delete_decentral_webhook", {"webhook_id": 42})
    assert "no decentral webhook with webhook_id 42" in error
    assert f"registered: {WEBHOOK_ID}" in error
    assert harness.sim.writes() == []
    assert len(harness.sim.webhooks()) == 1


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_webhook_logs_are_decoded_rows_without_bodies(tmp_path: Path, mode: ClientMode) -> None:
    harness = Harness(tmp_path)
    async with harness.client(mode=mode) as client:
        result = await client.call_tool("get_webhook_logs", {"api_key_id": API_KEY_ID})
    page = result.structured_content
    assert page is not None
    deliveries = _rows(page, "deliveries")
    assert [d["log_id"] for d in deliveries] == [log.id for log in harness.sim.webhook_logs()]
    assert [d["event"] for d in deliveries] == ["DEVICE_LOGS"] * len(deliveries)
    assert [d["smartlock_id"] for d in deliveries] == [FRONT_DOOR_ID] * len(deliveries)
    failed = [d for d in deliveries if d["succeeded"] is False]
    assert len(failed) == 1
    assert failed[0]["response_status"] == 502
    assert all(isinstance(d["duration_ms"], int) for d in deliveries)
    assert all(d["target_path"] == WEBHOOK_URL for d in deliveries)
    assert page["next_cursor"] is None
    text = dumps(result.model_dump())
    assert "X-Nuki-Signature" not in text
    assert "smartlockLog" not in text


async def test_webhook_log_paging_returns_older_deliveries_without_duplicates(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        first = await call_ok(client, "get_webhook_logs", {"api_key_id": API_KEY_ID, "limit": 4})
        second = await call_ok(
            client, "get_webhook_logs", {"api_key_id": API_KEY_ID, "limit": 4, "cursor": first["next_cursor"]}
        )
    ids = [d["log_id"] for d in _rows(first, "deliveries") + _rows(second, "deliveries")]
    assert ids == [log.id for log in harness.sim.webhook_logs()]
    assert len(set(ids)) == len(ids) == 6
    assert first["next_cursor"] == ids[3]
    assert second["next_cursor"] is None


async def test_webhook_logs_of_an_unknown_api_key_are_a_clear_error(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        error = await call_error(client, "get_webhook_logs", {"api_key_id": 1})
    assert "Traceback" not in error
    assert "not found" in error.lower()


async def test_the_allow_list_drops_deliveries_about_other_devices(tmp_path: Path) -> None:
    harness = Harness(tmp_path, devices=("Cellar Door",))
    async with harness.client() as client:
        page = await call_ok(client, "get_webhook_logs", {"api_key_id": API_KEY_ID})
    assert harness.sim.webhook_logs()
    assert page["deliveries"] == []


async def test_read_only_mode_keeps_only_the_webhook_reads(tmp_path: Path) -> None:
    harness = Harness(tmp_path, read_only=True, toolsets=frozenset({"webhooks"}))
    async with harness.client() as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert names == {"list_decentral_webhooks", "get_webhook_logs", "list_api_keys"}
