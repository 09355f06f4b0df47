"""Account users as people: named by id, e-mail or name, added, changed read-modify-write, removed asynchronously."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp.client import ClientRequestContext
from mcp.types import ElicitRequestParams, ElicitResult

from nuki_mcp.demo import Fault
from nuki_mcp.demo.household import (
    BACK_DOOR_ID,
    FRONT_DOOR_ID,
    JONAS_ACCOUNT_USER_ID,
    LENA_ACCOUNT_USER_ID,
    LENA_EMAIL,
    LENA_NAME,
    SPARKLE_ACCOUNT_USER_ID,
)
from tests.support import ElicitationCallback, Elicitations, Harness, Json, call_error, call_ok, obj, rows

pytestmark = pytest.mark.anyio


def _user(harness: Harness, account_user_id: int) -> dict[str, object] | None:
    for user in harness.sim.account_users():
        if user.account_user_id == account_user_id:
            return {"name": user.name, "email": user.email, "language": user.language, "type": user.type}
    return None


@pytest.mark.parametrize("named_by", [LENA_EMAIL, LENA_NAME, "lena", str(LENA_ACCOUNT_USER_ID)])
async def test_an_account_user_is_found_by_email_name_part_or_id_and_shows_they_hold_no_access(
    tmp_path: Path, named_by: str
) -> None:
    async with Harness(tmp_path).client() as client:
        user = await call_ok(client, "get_account_user", {"account_user": named_by})
    assert user["account_user_id"] == LENA_ACCOUNT_USER_ID
    assert user["email"] == LENA_EMAIL
    assert user["authorizations"] == []
    assert user["pending"] is False


async def test_get_account_user_lists_the_authorizations_they_hold_on_visible_devices_only(tmp_path: Path) -> None:
    async with Harness(tmp_path, devices=("Front Door",)).client() as client:
        jonas = await call_ok(client, "get_account_user", {"account_user": "jonas@example.com"})
    held = rows(jonas, "authorizations")
    assert [(a["smartlock_id"], a["device_name"]) for a in held] == [(FRONT_DOOR_ID, "Front Door")]


async def test_a_name_that_matches_several_account_users_is_refused_with_the_candidates(tmp_path: Path) -> None:
    async with Harness(tmp_path).client() as client:
        error = await call_error(client, "get_account_user", {"account_user": "Berger"})
    assert "Anna Berger" in error
    assert "Jonas Berger" in error
    assert "several" in error


async def test_creating_an_account_user_sends_nothing_until_the_token_step_then_adds_them(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    arguments: Json = {"email": "max@example.com", "name": "Max Mustermann", "language": "en", "type": "company"}
    async with harness.client() as client:
        first = await call_ok(client, "create_account_user", arguments)
        assert first["status"] == "confirmation_required"
        assert "max@example.com" in str(first["summary"])
        assert harness.sim.writes() == []
        done = await call_ok(
            client, "create_account_user", {**arguments, "confirmation_token": first["confirmation_token"]}
        )
    assert done["status"] == "done"
    created = [u for u in harness.sim.account_users() if u.email == "max@example.com"]
    assert [(u.name, u.type, u.language) for u in created] == [("Max Mustermann", 1, "en")]
    assert harness.sim.writes()[0].body == {
        "type": 1,
        "email": "max@example.com",
        "name": "Max Mustermann",
        "language": "en",
    }


async def test_an_account_user_who_already_exists_or_an_invalid_address_is_refused_before_sending(
    tmp_path: Path,
) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        exists = await call_error(client, "create_account_user", {"email": "LENA@example.com", "name": "Lena"})
        invalid = await call_error(client, "create_account_user", {"email": "lena at example", "name": "Lena"})
    assert str(LENA_ACCOUNT_USER_ID) in exists
    assert "not an e-mail address" in invalid
    assert harness.sim.writes() == []


async def test_updating_an_account_user_changes_only_the_given_field_and_confirms_the_diff(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    human = Elicitations()
    before = _user(harness, SPARKLE_ACCOUNT_USER_ID)
    async with harness.client(elicitation=human) as client:
        result = await call_ok(client, "update_account_user", {"account_user": "Sparkle", "language": "de"})
    assert result["status"] == "done"
    assert 'language: "en" -> "de"' in human.questions[0]
    assert before is not None
    assert _user(harness, SPARKLE_ACCOUNT_USER_ID) == {**before, "language": "de"}
    assert harness.sim.writes()[0].body == {
        "email": "office@sparkle-cleaning.example.com",
        "name": "Sparkle Cleaning",
        "language": "de",
    }


def _renamed_in_nuki_web_while_asked(harness: Harness, name: str) -> ElicitationCallback:
    async def answer(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        user = next(u for u in harness.sim.account_users() if u.account_user_id == SPARKLE_ACCOUNT_USER_ID)
        harness.sim.add_account_user(user.model_copy(update={"name": name}))
        return ElicitResult(action="accept", content={"confirm": True})

    return answer


async def test_an_update_keeps_a_change_made_at_nuki_meanwhile_to_another_field(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    human = _renamed_in_nuki_web_while_asked(harness, "Sparkle Cleaning Ltd")
    async with harness.client(elicitation=human) as client:
        result = await call_ok(client, "update_account_user", {"account_user": "Sparkle", "language": "de"})
    assert result["status"] == "done"
    assert _user(harness, SPARKLE_ACCOUNT_USER_ID) == {
        "name": "Sparkle Cleaning Ltd",
        "email": "office@sparkle-cleaning.example.com",
        "language": "de",
        "type": 1,
    }


async def test_an_update_is_refused_when_its_field_changed_at_nuki_while_the_human_was_asked(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    human = _renamed_in_nuki_web_while_asked(harness, "Sparkle Cleaning Ltd")
    # The 2025-11-25 protocol asks within the one call, between the summary and the write.
    async with harness.client(mode="legacy", elicitation=human) as client:
        error = await call_error(client, "update_account_user", {"account_user": "Sparkle", "name": "Sparkle GmbH"})
    assert "changed at Nuki" in error
    assert harness.sim.writes() == []


async def test_an_update_that_changes_nothing_or_takes_another_users_email_is_refused(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        same = await call_error(client, "update_account_user", {"account_user": "Lena", "name": LENA_NAME})
        taken = await call_error(client, "update_account_user", {"account_user": "Lena", "email": "jonas@example.com"})
    assert "nothing to change" in same
    assert "Jonas Berger" in taken
    assert harness.sim.writes() == []


async def test_deleting_an_account_user_is_asynchronous_and_their_app_access_ends(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    human = Elicitations()
    async with harness.client(elicitation=human) as client:
        done = await call_ok(client, "delete_account_user", {"account_user": "Jonas Berger"})
        pending = await call_ok(client, "get_account_user", {"account_user": str(JONAS_ACCOUNT_USER_ID)})
        again = await call_error(client, "delete_account_user", {"account_user": str(JONAS_ACCOUNT_USER_ID)})
        harness.clock.advance(10)
        users = await call_ok(client, "list_account_users")
    assert done["status"] == "done"
    assert "asynchronously" in str(done["reason"])
    assert "Front Door" in human.questions[0]
    assert "Building Entrance" in human.questions[0]
    assert pending["pending"] is True
    assert "(423)" in again
    assert JONAS_ACCOUNT_USER_ID not in [u["account_user_id"] for u in rows(users, "users")]
    assert [a for a in harness.sim.auths() if a.account_user_id == JONAS_ACCOUNT_USER_ID] == []
    assert [w.method for w in harness.sim.writes()] == ["DELETE", "DELETE"]


async def test_the_owners_own_account_user_is_never_deleted(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.client() as client:
        error = await call_error(client, "delete_account_user", {"account_user": "anna@example.com"})
    assert "owner" in error
    assert harness.sim.writes() == []


async def test_an_account_user_with_access_outside_the_allow_list_is_not_deleted(tmp_path: Path) -> None:
    harness = Harness(tmp_path, devices=("Front Door",))
    async with harness.client() as client:
        error = await call_error(client, "delete_account_user", {"account_user": "Sparkle Cleaning"})
        lena = await call_ok(client, "delete_account_user", {"account_user": "Lena"})
    assert "NUKI_DEVICES" in error
    assert str(BACK_DOOR_ID) not in error
    assert lena["status"] == "done"
    assert [w.path for w in harness.sim.writes()] == [f"/account/user/{LENA_ACCOUNT_USER_ID}"]


async def test_an_app_authorization_can_name_the_account_user_by_email(tmp_path: Path) -> None:
    harness = Harness(tmp_path, confirm="auto")
    human = Elicitations()
    arguments: Json = {"smartlock": "Front Door", "type": "app", "name": "Lena", "account_user": LENA_EMAIL}
    async with harness.client(elicitation=human) as client:
        result = await call_ok(client, "create_smartlock_auth", arguments)
        mismatch = await call_error(
            client, "create_smartlock_auth", {**arguments, "account_user_id": JONAS_ACCOUNT_USER_ID}
        )
    assert result["status"] == "done"
    assert LENA_EMAIL in human.questions[0]
    created = [a for a in harness.sim.auths(FRONT_DOOR_ID) if a.name == "Lena"]
    assert [(a.type, a.account_user_id) for a in created] == [(0, LENA_ACCOUNT_USER_ID)]
    assert "give only one" in mismatch


async def test_an_update_nuki_answers_with_204_reports_the_account_user_as_nuki_now_has_them(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    path = f"/account/user/{LENA_ACCOUNT_USER_ID}"
    harness.sim.add_fault(Fault(method="POST", path=path, status=204, applied=True))
    async with harness.client() as client:
        result = await call_ok(client, "update_account_user", {"account_user": "Lena", "language": "en"})
    assert result["status"] == "done"
    assert obj(result, "account_user")["language"] == "en"
    assert _user(harness, LENA_ACCOUNT_USER_ID) == {"name": LENA_NAME, "email": LENA_EMAIL, "language": "en", "type": 0}
