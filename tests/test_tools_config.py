"""Toolset `config`: read-modify-write of device settings, through the MCP client against the simulator."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import JsonValue

from nuki_mcp.demo.household import BACK_DOOR_ID, CELLAR_ID, FRONT_DOOR_ID, OPENER_ID
from nuki_mcp.nuki.models import SmartlockConfigWrite
from tests.support import ClientMode, Elicitations, Harness, Json, call_error, call_ok, dumps

pytestmark = pytest.mark.anyio

BOTH_ERAS: list[ClientMode] = ["legacy", "auto"]
ADMIN_PIN = 8642


def _object(value: JsonValue) -> Json:
    assert isinstance(value, dict), value
    return value


def _objects(value: JsonValue) -> list[Json]:
    assert isinstance(value, list), value
    return [_object(item) for item in value]


def _changes(result: Json) -> dict[str, tuple[JsonValue, JsonValue]]:
    return {str(c["field"]): (c["before"], c["after"]) for c in _objects(result["changes"])}


def _last_body(harness: Harness) -> Json:
    return _object(harness.sim.writes()[-1].body)


# --- update_smartlock ----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", BOTH_ERAS)
async def test_update_smartlock_renames_the_device_and_keeps_its_favorite_flag(
    tmp_path: Path, mode: ClientMode
) -> None:
    harness = Harness(tmp_path)
    async with harness.client(mode=mode) as client:
        result = await call_ok(client, "update_smartlock", {"smartlock": "Cellar", "name": "Wine Cellar"})
    assert result["status"] == "done"
    assert _changes(result) == {"name": ("Cellar Door", "Wine Cellar")}
    assert _object(result["device"])["name"] == "Wine Cellar"
    device = harness.sim.device(CELLAR_ID)
    assert device.name == "Wine Cellar"
    assert device.favorite is False
    assert [(w.method, w.path, w.body) for w in harness.sim.writes()] == [
        ("POST", f"/smartlock/{CELLAR_ID}", {"name": "Wine Cellar"})
    ]


async def test_update_smartlock_sets_the_favorite_flag(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        result = await call_ok(client, "update_smartlock", {"smartlock": "Back Door", "favorite": True})
    assert _changes(result) == {"favorite": (False, True)}
    assert harness.sim.device(BACK_DOOR_ID).favorite is True
    assert harness.sim.device(BACK_DOOR_ID).name == "Back Door"


# --- update_config -------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", BOTH_ERAS)
async def test_update_config_writes_the_complete_config_with_only_the_given_fields_changed(
    tmp_path: Path, mode: ClientMode
) -> None:
    harness = Harness(tmp_path)
    async with harness.client(mode=mode) as client:
        result = await call_ok(
            client,
            "update_config",
            {"smartlock": "Front Door", "led_brightness": 5, "advertising_mode": "slow", "timezone": "Europe/London"},
        )
    assert _changes(result) == {
        "led_brightness": (3, 5),
        "advertising_mode": ("automatic", "slow"),
        "timezone": ("Europe/Berlin", "Europe/London"),
    }
    assert _last_body(harness) == {
        "name": "Front Door",
        "latitude": 48.2082,
        "longitude": 16.3738,
        "autoUnlatch": False,
        "liftUpHandle": False,
        "pairingEnabled": False,
        "buttonEnabled": True,
        "ledEnabled": True,
        "ledBrightness": 5,
        "timezoneOffset": 0,
        "daylightSavingMode": 0,
        "singleLock": False,
        "advertisingMode": 2,
        "timezoneId": 40,
    }
    config = harness.sim.device(FRONT_DOOR_ID).config
    assert config is not None
    assert (config.led_brightness, config.advertising_mode, config.timezone_id) == (5, 2, 40)
    assert config.fob_paired is True
    assert config.keypad_paired is True


async def test_renaming_through_update_config_renames_the_device(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        result = await call_ok(client, "update_config", {"smartlock": "Garage", "name": "Carport"})
    assert _object(result["device"])["name"] == "Carport"
    assert [d.name for d in harness.sim.devices() if d.name == "Carport"] == ["Carport"]


# --- advanced configs ----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", BOTH_ERAS)
async def test_update_advanced_config_keeps_the_calibration_and_every_other_field(
    tmp_path: Path, mode: ClientMode
) -> None:
    harness = Harness(tmp_path)
    async with harness.client(mode=mode) as client:
        result = await call_ok(client, "update_advanced_config", {"smartlock": "Front Door", "auto_lock_timeout": 120})
    assert _changes(result) == {"auto_lock_timeout": (300, 120)}
    assert [w.path for w in harness.sim.writes()] == [f"/smartlock/{FRONT_DOOR_ID}/advanced/config"]
    assert _last_body(harness) == {
        "lngTimeout": 20,
        "singleButtonPressAction": 1,
        "doubleButtonPressAction": 4,
        "automaticBatteryTypeDetection": True,
        "unlatchDuration": 3,
        "singleLockedPositionOffsetDegrees": -100,
        "unlockedToLockedTransitionOffsetDegrees": 0,
        "unlockedPositionOffsetDegrees": -90,
        "lockedPositionOffsetDegrees": 80,
        "detachedCylinder": False,
        "batteryType": 1,
        "autoLock": True,
        "autoLockTimeout": 120,
        "autoUpdateEnabled": True,
        "motorSpeed": 0,
        "enableSlowSpeedDuringNightmode": True,
    }
    advanced = harness.sim.device(FRONT_DOOR_ID).advanced_config
    assert advanced is not None
    assert advanced.auto_lock_timeout == 120
    assert advanced.total_degrees == 1170


async def test_update_advanced_config_takes_enums_by_name(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        result = await call_ok(
            client,
            "update_advanced_config",
            {
                "smartlock": "Cellar",
                "auto_lock": True,
                "double_button_press_action": "show_status",
                "battery_type": "lithium",
                "motor_speed": "slow",
                "lng_timeout": 45,
            },
        )
    assert _changes(result) == {
        "auto_lock": (False, True),
        "double_button_press_action": ("unlatch", "show_status"),
        "battery_type": ("alkali", "lithium"),
        "motor_speed": (None, "slow"),
        "lng_timeout": (30, 45),
    }
    advanced = harness.sim.device(CELLAR_ID).advanced_config
    assert advanced is not None
    assert (advanced.auto_lock, advanced.double_button_press_action, advanced.battery_type) == (True, 6, 2)
    assert (advanced.motor_speed, advanced.lng_timeout, advanced.unlatch_duration) == (2, 45, 3)


@pytest.mark.parametrize("mode", BOTH_ERAS)
async def test_update_opener_advanced_config_encodes_names_and_keeps_the_intercom_settings(
    tmp_path: Path, mode: ClientMode
) -> None:
    harness = Harness(tmp_path)
    async with harness.client(mode=mode) as client:
        result = await call_ok(
            client,
            "update_opener_advanced_config",
            {
                "smartlock": "Building Entrance",
                "rto_timeout": 30,
                "doorbell_suppression": ["rto_active", "continuous_mode_active"],
                "sound_ring": "sound_3",
                "sound_confirmation": False,
                "single_button_press_action": "open",
            },
        )
    assert _changes(result) == {
        "rto_timeout": (20, 30),
        "doorbell_suppression": ([], ["rto_active", "continuous_mode_active"]),
        "sound_ring": ("sound_1", "sound_3"),
        "sound_confirmation": (True, False),
        "single_button_press_action": ("toggle_rto", "open"),
    }
    body = _last_body(harness)
    assert "intercomId" not in body
    assert "busModeSwitch" not in body
    assert body["electricStrikeDuration"] == 3000
    assert body["doorbellSuppressionDuration"] == 500
    opener = harness.sim.device(OPENER_ID).opener_advanced_config
    assert opener is not None
    assert (opener.rto_timeout, opener.doorbell_suppression, opener.sound_ring) == (30, 6, 3)
    assert (opener.sound_confirmation, opener.single_button_press_action) == (0, 7)
    assert (opener.electric_strike_duration, opener.intercom_id, opener.sound_level) == (3000, 1115, 128)


async def test_update_smartdoor_advanced_config_changes_the_buzzer_and_keeps_the_battery_type(
    tmp_path: Path,
) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        result = await call_ok(
            client,
            "update_smartdoor_advanced_config",
            {"smartlock": "Back Door", "buzzer_volume": "low", "auto_lock_timeout": 0},
        )
    assert _changes(result) == {"buzzer_volume": ("normal", "low"), "auto_lock_timeout": (120, 0)}
    assert "supportedBatteryTypes" not in _last_body(harness)
    door = harness.sim.device(BACK_DOOR_ID).smartdoor_advanced_config
    assert door is not None
    assert (door.buzzer_volume, door.auto_lock_timeout, door.battery_type, door.auto_lock) == (1, 0, 3, True)


@pytest.mark.parametrize(
    ("tool", "device", "right_tool"),
    [
        ("update_advanced_config", "Building Entrance", "update_opener_advanced_config"),
        ("update_advanced_config", "Back Door", "update_smartdoor_advanced_config"),
        ("update_opener_advanced_config", "Front Door", "update_advanced_config"),
        ("update_smartdoor_advanced_config", "Building Entrance", "update_opener_advanced_config"),
    ],
)
async def test_an_advanced_config_for_another_device_type_is_refused_before_anything_is_sent(
    tmp_path: Path, tool: str, device: str, right_tool: str
) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        error = await call_error(client, tool, {"smartlock": device, "battery_type": "alkali"})
    assert right_tool in error
    assert harness.sim.writes() == []


# --- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("update_config", {"smartlock": "Front Door", "led_brightness": 3}),
        ("update_advanced_config", {"smartlock": "Front Door", "auto_lock": True, "auto_lock_timeout": 300}),
        ("update_smartlock", {"smartlock": "Front Door", "favorite": True}),
        ("update_web_config", {"smartlock": "Front Door", "battery_warning_per_mail_enabled": True}),
        (
            "bulk_web_config",
            {"smartlocks": ["Front Door", "Building Entrance"], "battery_warning_per_mail_enabled": True},
        ),
    ],
)
async def test_an_update_that_changes_nothing_is_refused(tmp_path: Path, tool: str, arguments: Json) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        error = await call_error(client, tool, arguments)
    assert "Nothing to change" in error
    assert "already" in error
    assert harness.sim.writes() == []


@pytest.mark.parametrize(
    "tool",
    [
        "update_smartlock",
        "update_config",
        "update_advanced_config",
        "update_opener_advanced_config",
        "update_smartdoor_advanced_config",
    ],
)
async def test_an_update_without_any_setting_is_refused(tmp_path: Path, tool: str) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        error = await call_error(client, tool, {"smartlock": "Front Door"})
    assert "give at least one setting" in error
    assert harness.sim.requests == []


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("update_config", {"led_brightness": 6}),
        ("update_config", {"advertising_mode": "fastest"}),
        ("update_config", {"timezone": "Europe/Vienna"}),
        ("update_config", {"latitude": 91.0}),
        ("update_config", {"name": ""}),
        ("update_advanced_config", {"lng_timeout": 7}),
        ("update_advanced_config", {"unlatch_duration": 2}),
        ("update_advanced_config", {"battery_type": "fixed"}),
        ("update_advanced_config", {"single_button_press_action": "open"}),
        ("update_opener_advanced_config", {"doorbell_suppression": ["always"]}),
        ("update_opener_advanced_config", {"sound_ring": "sound_4"}),
        ("update_smartdoor_advanced_config", {"buzzer_volume": "loud"}),
        ("update_admin_pin", {"admin_pin": 10000}),
        ("update_admin_pin", {"admin_pin": -1}),
    ],
)
async def test_invalid_values_are_schema_errors_and_nothing_is_sent(tmp_path: Path, tool: str, arguments: Json) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        error = await call_error(client, tool, {"smartlock": "Front Door", **arguments})
    assert error.startswith(f"Invalid argument for {tool}: ")
    assert harness.sim.requests == []


async def test_a_device_outside_the_allow_list_cannot_be_changed(tmp_path: Path) -> None:
    harness = Harness(tmp_path, devices=("Front Door",))
    async with harness.client() as client:
        error = await call_error(client, "update_config", {"smartlock": str(CELLAR_ID), "led_enabled": False})
    assert "No device matches" in error
    assert harness.sim.writes() == []


# --- confirmation --------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", BOTH_ERAS)
async def test_the_question_shows_the_exact_diff_and_only_the_changed_fields(tmp_path: Path, mode: ClientMode) -> None:
    harness = Harness(tmp_path, confirm="elicit")
    human = Elicitations()
    async with harness.client(mode=mode, elicitation=human) as client:
        result = await call_ok(
            client,
            "update_advanced_config",
            {"smartlock": "Front Door", "auto_lock_timeout": 120, "auto_lock": True, "motor_speed": "fast"},
        )
    assert result["confirmed_by"] == "elicitation"
    assert len(human.questions) == 1
    question = human.questions[0]
    assert "'Front Door'" in question
    assert str(FRONT_DOOR_ID) in question
    assert "- auto_lock_timeout: 300 -> 120" in question
    assert '- motor_speed: "standard" -> "fast"' in question
    assert "auto_lock:" not in question  # already on: not a change
    advanced = harness.sim.device(FRONT_DOOR_ID).advanced_config
    assert advanced is not None
    assert advanced.motor_speed == 1


async def test_the_question_warns_when_a_change_weakens_security(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="elicit")
    human = Elicitations(action="decline")
    async with harness.client(elicitation=human) as client:
        result = await call_ok(client, "update_config", {"smartlock": "Front Door", "pairing_enabled": True})
    assert result["status"] == "not_done"
    assert "- pairing_enabled: false -> true" in human.questions[0]
    assert "pair a new phone" in human.questions[0]
    assert harness.sim.writes() == []


async def test_a_declined_update_changes_nothing(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    async with harness.client(elicitation=Elicitations(action="decline")) as client:
        result = await call_ok(client, "update_smartdoor_advanced_config", {"smartlock": "Back", "auto_lock": False})
    assert result["status"] == "not_done"
    assert harness.sim.writes() == []
    door = harness.sim.device(BACK_DOOR_ID).smartdoor_advanced_config
    assert door is not None
    assert door.auto_lock is True


async def test_an_update_confirmed_by_token_is_audited_with_its_device(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    arguments: Json = {"smartlock": "Cellar", "led_enabled": False}
    async with harness.client() as client:
        first = await call_ok(client, "update_config", arguments)
        assert first["status"] == "confirmation_required"
        assert "led_enabled: true -> false" in str(first["summary"])
        assert harness.sim.writes() == []
        second = await call_ok(
            client, "update_config", {**arguments, "confirmation_token": first["confirmation_token"]}
        )
    assert second["status"] == "done"
    config = harness.sim.device(CELLAR_ID).config
    assert config is not None
    assert config.led_enabled is False
    assert [(line["tool"], line["confirmation"], line["outcome"]) for line in harness.audit_results()] == [
        ("update_config", "token", "confirmation_required"),
        ("update_config", "token", "done"),
    ]
    assert harness.audit_lines()[-1]["device"] == {"id": CELLAR_ID, "name": "Cellar Door"}


# --- web config ----------------------------------------------------------------------------------


async def test_update_web_config_sends_only_the_battery_warning_flag(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        result = await call_ok(
            client, "update_web_config", {"smartlock": "Cellar", "battery_warning_per_mail_enabled": True}
        )
    assert _changes(result) == {"battery_warning_per_mail_enabled": (False, True)}
    assert [(w.path, w.body) for w in harness.sim.writes()] == [
        (f"/smartlock/{CELLAR_ID}/web/config", {"batteryWarningPerMailEnabled": True})
    ]
    web = harness.sim.device(CELLAR_ID).web_config
    assert web is not None
    assert web.battery_warning_per_mail_enabled is True


@pytest.mark.parametrize("mode", BOTH_ERAS)
async def test_bulk_web_config_changes_every_named_device_in_one_request(tmp_path: Path, mode: ClientMode) -> None:
    harness = Harness(tmp_path, confirm="elicit")
    human = Elicitations()
    async with harness.client(mode=mode, elicitation=human) as client:
        result = await call_ok(
            client,
            "bulk_web_config",
            {"smartlocks": ["Front Door", "Cellar", str(BACK_DOOR_ID)], "battery_warning_per_mail_enabled": False},
        )
    assert result["status"] == "done"
    assert [d["smartlock_id"] for d in _objects(result["devices"])] == [FRONT_DOOR_ID, BACK_DOOR_ID]
    assert [d["smartlock_id"] for d in _objects(result["unchanged"])] == [CELLAR_ID]
    assert [(w.path, w.body) for w in harness.sim.writes()] == [
        (
            "/bulk-web-config",
            {
                "webConfigRequests": [
                    {"smartlockId": FRONT_DOOR_ID, "webConfig": {"batteryWarningPerMailEnabled": False}},
                    {"smartlockId": BACK_DOOR_ID, "webConfig": {"batteryWarningPerMailEnabled": False}},
                ]
            },
        )
    ]
    question = human.questions[0]
    assert f"Front Door ({FRONT_DOOR_ID}): battery_warning_per_mail_enabled: true -> false" in question
    assert f"Back Door ({BACK_DOOR_ID}): battery_warning_per_mail_enabled: true -> false" in question
    for smartlock_id in (FRONT_DOOR_ID, CELLAR_ID, BACK_DOOR_ID):
        web = harness.sim.device(smartlock_id).web_config
        assert web is not None
        assert web.battery_warning_per_mail_enabled is False
    opener_web = harness.sim.device(OPENER_ID).web_config
    assert opener_web is not None
    assert opener_web.battery_warning_per_mail_enabled is True


async def test_bulk_web_config_sends_nothing_when_one_device_is_not_allowed(tmp_path: Path) -> None:
    harness = Harness(tmp_path, devices=("Front Door", "Back Door"))
    async with harness.client() as client:
        error = await call_error(
            client,
            "bulk_web_config",
            {"smartlocks": ["Front Door", "Cellar"], "battery_warning_per_mail_enabled": False},
        )
    assert "Cellar" in error
    assert harness.sim.writes() == []


# --- admin PIN -----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", BOTH_ERAS)
async def test_the_admin_pin_is_set_but_never_shown_in_results_questions_or_the_audit_log(
    tmp_path: Path, mode: ClientMode
) -> None:
    harness = Harness(tmp_path, confirm="auto")
    human = Elicitations()
    async with harness.client(mode=mode, elicitation=human) as client:
        result = await client.call_tool("update_admin_pin", {"smartlock": "Cellar", "admin_pin": ADMIN_PIN})
    assert not result.is_error
    assert result.structured_content is not None
    assert result.structured_content["status"] == "done"
    assert harness.sim.device(CELLAR_ID).admin_pin_state == 0  # was "missing"
    assert _last_body(harness) == {"adminPin": ADMIN_PIN}
    assert "admin_pin: changed (hidden)" in human.questions[0]
    audit = harness.audit_lines()
    assert _object(audit[-1]["arguments"])["admin_pin"] == "******"
    for text in [dumps(result.model_dump()), *human.questions, harness.audit_path.read_text()]:
        assert str(ADMIN_PIN) not in text


async def test_the_admin_pin_stays_hidden_through_the_two_step_confirmation(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    arguments: Json = {"smartlock": "Front Door", "admin_pin": ADMIN_PIN}
    async with harness.client() as client:
        first = await call_ok(client, "update_admin_pin", arguments)
        second = await call_ok(
            client, "update_admin_pin", {**arguments, "confirmation_token": first["confirmation_token"]}
        )
    assert (first["status"], second["status"]) == ("confirmation_required", "done")
    assert _changes(second) == {"admin_pin": (None, "******")}
    for text in [dumps(first), dumps(second), harness.audit_path.read_text()]:
        assert str(ADMIN_PIN) not in text


# --- delete_smartlock ----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", BOTH_ERAS)
async def test_delete_smartlock_removes_the_device_from_the_account_after_a_clear_question(
    tmp_path: Path, mode: ClientMode
) -> None:
    harness = Harness(tmp_path, confirm="elicit")
    human = Elicitations()
    async with harness.client(mode=mode, elicitation=human) as client:
        result = await call_ok(client, "delete_smartlock", {"smartlock": "Garage"})
        listing = await call_ok(client, "list_smartlocks")
    assert result["status"] == "done"
    assert "Garage" not in dumps(listing)
    assert "Garage" not in [d.name for d in harness.sim.devices()]
    assert [w.method for w in harness.sim.writes()] == ["DELETE"]
    question = human.questions[0]
    assert "Remove 'Garage'" in question
    assert "Nuki Web account" in question
    assert "not reset" in question


async def test_a_declined_delete_keeps_the_device(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="elicit")
    async with harness.client(elicitation=Elicitations(action="cancel")) as client:
        result = await call_ok(client, "delete_smartlock", {"smartlock": "Front Door"})
    assert result["status"] == "not_done"
    assert harness.sim.device(FRONT_DOOR_ID).name == "Front Door"
    assert harness.sim.writes() == []


async def test_read_only_mode_offers_none_of_the_config_tools(tmp_path: Path) -> None:
    harness = Harness(tmp_path, read_only=True, toolsets=frozenset({"config"}))
    async with harness.client() as client:
        tools = (await client.list_tools()).tools
    assert tools == []


# --- what is sent is what was confirmed, on top of what is there now -----------------------------


class _SomeoneElseChangesTheLed(Elicitations):
    """Answers yes, but while the question is open someone changes the LED brightness in Nuki Web."""

    def __init__(self, harness: Harness) -> None:
        super().__init__()
        self.harness = harness

    async def __call__(self, context: object, params: object) -> object:  # type: ignore[override]
        async with self.harness.nuki_web() as nuki:
            config = (await nuki.get_smartlock(FRONT_DOOR_ID)).config
            assert config is not None
            await nuki.update_config(FRONT_DOOR_ID, SmartlockConfigWrite.from_current(config, {"led_brightness": 1}))
        return await super().__call__(context, params)  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", BOTH_ERAS)
async def test_a_change_made_at_nuki_while_the_question_was_open_is_not_overwritten(
    tmp_path: Path, mode: ClientMode
) -> None:
    harness = Harness(tmp_path, confirm="auto")
    human = _SomeoneElseChangesTheLed(harness)
    async with harness.client(mode=mode, elicitation=human) as client:  # type: ignore[arg-type]
        result = await call_ok(client, "update_config", {"smartlock": "Front Door", "pairing_enabled": True})
    assert result["status"] == "done"
    config = harness.sim.device(FRONT_DOOR_ID).config
    assert config is not None
    assert config.pairing_enabled is True  # the confirmed change
    assert config.led_brightness == 1  # the other person's change survived


@pytest.mark.parametrize(
    "arguments",
    [{"single_lock": True}, {"auto_unlatch": True}, {"lift_up_handle": False, "led_enabled": False}],
    ids=["single-lock", "auto-unlatch", "lift-up-handle"],
)
async def test_a_lock_only_setting_on_an_opener_is_refused_before_anything_is_sent(
    tmp_path: Path, arguments: Json
) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        error = await call_error(client, "update_config", {"smartlock": "Building Entrance", **arguments})
    assert "Opener" in error
    assert next(iter(arguments)) in error
    assert harness.sim.writes() == []


async def test_a_new_timezone_is_sent_with_its_current_utc_offset(tmp_path: Path) -> None:
    harness = Harness(tmp_path)  # the test clock stands in late November: New York is 5 h behind UTC
    async with harness.client() as client:
        await call_ok(client, "update_config", {"smartlock": "Front Door", "timezone": "America/New_York"})
    body = _last_body(harness)
    assert body["timezoneOffset"] == -300
    assert harness.sim.device(FRONT_DOOR_ID).config.timezone_offset == -300  # type: ignore[union-attr]
