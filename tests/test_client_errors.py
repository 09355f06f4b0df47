"""How the Nuki client turns Nuki's answers into results or typed errors, driven through the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from nuki_mcp.demo import Fault
from nuki_mcp.demo.household import CELLAR_ID, FRONT_DOOR_ID
from nuki_mcp.nuki.errors import (
    NukiApiError,
    NukiAuthError,
    NukiBadRequestError,
    NukiConflictError,
    NukiError,
    NukiForbiddenError,
    NukiLockedError,
    NukiNotAllowedError,
    NukiNotFoundError,
    NukiRateLimitedError,
    NukiResponseError,
    NukiServerError,
    NukiUpgradeRequiredError,
)
from nuki_mcp.nuki.models import SmartlockAction
from tests.simulated_client import ALWAYS, CANARY_TOKEN, SimulatedNuki, is_one_sentence, simulated_nuki

pytestmark = pytest.mark.anyio

LOCKED = 1
DEVICE_PATH = "/smartlock/*"
WRONG_TOKEN = "canary-wrong-token-9e2f-must-never-leak"
NUKI_401_BODY = '{"detailMessage":"Your access token is not authorized","stackTrace":[],"suppressedExceptions":[]}'

STATUS_ERRORS: list[tuple[int, type[NukiApiError]]] = [
    (400, NukiBadRequestError),
    (401, NukiAuthError),
    (403, NukiForbiddenError),
    (404, NukiNotFoundError),
    (405, NukiNotAllowedError),
    (409, NukiConflictError),
    (423, NukiLockedError),
    (426, NukiUpgradeRequiredError),
    (429, NukiRateLimitedError),
    (500, NukiServerError),
    (502, NukiServerError),
    (503, NukiServerError),
    (504, NukiServerError),
]
STATUS_IDS = [str(status) for status, _ in STATUS_ERRORS]


@pytest.fixture
async def nuki() -> AsyncIterator[SimulatedNuki]:
    async with simulated_nuki() as simulated:
        yield simulated


async def failed_read(nuki: SimulatedNuki) -> NukiError:
    with pytest.raises(NukiError) as caught:
        await nuki.client.get_smartlock(FRONT_DOOR_ID)
    return caught.value


# --- status -> typed error -----------------------------------------------------------------------


@pytest.mark.parametrize(("status", "error_type"), STATUS_ERRORS, ids=STATUS_IDS)
async def test_an_error_status_raises_its_typed_error_in_one_sentence_quoting_nukis_detail_message(
    nuki: SimulatedNuki, status: int, error_type: type[NukiApiError]
) -> None:
    detail = f"Simulated problem number {status}"
    nuki.sim.add_fault(Fault.json(status, detail, path=DEVICE_PATH, times=ALWAYS))

    error = await failed_read(nuki)

    assert type(error) is error_type
    assert error.status == status
    assert error.detail == detail
    # Nuki's only 401 detail is "Your access token is not authorized", which the message already says.
    assert (detail in error.message) is (status != 401)
    assert is_one_sentence(error.message, quoted=detail)
    assert str(error) == error.message


async def test_a_rejected_token_raises_an_auth_error_that_says_how_to_fix_it() -> None:
    async with simulated_nuki(client_token=WRONG_TOKEN) as wrong_token:
        with pytest.raises(NukiAuthError) as caught:
            await wrong_token.client.list_smartlocks()

    error = caught.value
    assert error.status == 401
    assert error.detail == "Your access token is not authorized"
    assert "NUKI_API_TOKEN" in error.message
    assert "scope" in error.message
    assert is_one_sentence(error.message, quoted=error.detail)
    assert WRONG_TOKEN not in repr(vars(error))
    assert len(wrong_token.sim.requests) == 1


async def test_nukis_real_401_body_is_read_when_it_comes_from_a_fault(nuki: SimulatedNuki) -> None:
    nuki.sim.add_fault(
        Fault(path=DEVICE_PATH, status=401, body=NUKI_401_BODY, content_type="application/json", times=ALWAYS)
    )

    error = await failed_read(nuki)

    assert isinstance(error, NukiAuthError)
    assert error.detail == "Your access token is not authorized"


async def test_a_conflicting_keypad_code_surfaces_nukis_detail_message(nuki: SimulatedNuki) -> None:
    detail = "Not possible to create two different auths with the same KP code"
    nuki.sim.add_fault(Fault.json(409, detail, method="POST"))

    with pytest.raises(NukiConflictError) as caught:
        await nuki.client.action(FRONT_DOOR_ID, SmartlockAction(action=2))

    assert f"(Nuki said: {detail})" in caught.value.message
    assert "keypad code" in caught.value.message


@pytest.mark.parametrize(("status", "error_type"), STATUS_ERRORS, ids=STATUS_IDS)
async def test_an_html_error_page_never_reaches_the_message(
    nuki: SimulatedNuki, status: int, error_type: type[NukiApiError]
) -> None:
    nuki.sim.add_fault(Fault.html(status, path=DEVICE_PATH, times=ALWAYS))

    error = await failed_read(nuki)

    assert type(error) is error_type
    assert error.detail is None
    assert "<" not in error.message
    assert "nginx" not in error.message
    assert "Nuki said" not in error.message
    assert is_one_sentence(error.message)


@pytest.mark.parametrize(("status", "error_type"), STATUS_ERRORS, ids=STATUS_IDS)
async def test_an_empty_error_body_still_gives_a_one_sentence_message(
    nuki: SimulatedNuki, status: int, error_type: type[NukiApiError]
) -> None:
    nuki.sim.add_fault(Fault(path=DEVICE_PATH, status=status, body=None, times=ALWAYS))

    error = await failed_read(nuki)

    assert type(error) is error_type
    assert error.detail is None
    assert "Nuki said" not in error.message
    assert is_one_sentence(error.message)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("Bad request: value out of range", "text/plain"),
        ("<html><body>Bad request</body></html>", "application/json"),
        ('{"error": "no detailMessage here"}', "application/json"),
        ('{"detailMessage": "   "}', "application/json"),
        ('{"detailMessage": 42}', "application/json"),
        ('["detailMessage"]', "application/json"),
    ],
    ids=["plain-text", "html-labelled-json", "json-without-detail", "blank-detail", "numeric-detail", "array"],
)
async def test_an_error_body_without_a_usable_detail_message_is_never_quoted(
    nuki: SimulatedNuki, body: str, content_type: str
) -> None:
    nuki.sim.add_fault(Fault(path=DEVICE_PATH, status=400, body=body, content_type=content_type))

    error = await failed_read(nuki)

    assert isinstance(error, NukiBadRequestError)
    assert error.detail is None
    assert "Nuki said" not in error.message
    assert is_one_sentence(error.message)


async def test_a_multi_line_detail_message_is_folded_into_the_one_sentence(nuki: SimulatedNuki) -> None:
    nuki.sim.add_fault(Fault.json(400, "Invalid parameter\n  name:\ttoo long", path=DEVICE_PATH))

    error = await failed_read(nuki)

    assert error.message.count("\n") == 0
    assert "(Nuki said: Invalid parameter name: too long)" in error.message


async def test_a_very_long_detail_message_is_shortened(nuki: SimulatedNuki) -> None:
    nuki.sim.add_fault(Fault.json(400, "x" * 5000, path=DEVICE_PATH))

    error = await failed_read(nuki)

    assert isinstance(error, NukiApiError)
    assert error.detail is not None
    assert len(error.detail) == 200
    assert error.detail.endswith("...")
    assert len(error.message) < 400


# --- success answers -----------------------------------------------------------------------------


async def test_a_204_answer_is_success_without_a_body(nuki: SimulatedNuki) -> None:
    result = await nuki.client.lock(CELLAR_ID)
    nuki.clock.advance(30)

    assert result is None
    assert [(r.method, r.body) for r in nuki.sim.writes()] == [("POST", None)]
    device_state = nuki.sim.device(CELLAR_ID).state
    assert device_state is not None
    assert device_state.state == LOCKED


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("<html><body>Maintenance</body></html>", "text/html"),
        ('{"smartlockId": "not a number"}', "application/json"),
        ("[]", "application/json"),
        ("", "application/json"),
        ('{"smartlockId": 1, "type": 0, "name": "Truncated', "application/json"),
    ],
    ids=["html", "wrong-type", "array-for-object", "empty", "truncated-json"],
)
async def test_a_200_answer_with_an_unreadable_body_raises_a_response_error(
    nuki: SimulatedNuki, body: str, content_type: str
) -> None:
    nuki.sim.add_fault(Fault(path=DEVICE_PATH, status=200, body=body, content_type=content_type))

    error = await failed_read(nuki)

    assert isinstance(error, NukiResponseError)
    assert "<" not in error.message
    assert "Maintenance" not in error.message
    assert is_one_sentence(error.message)
    assert len(nuki.sim.requests) == 1


async def test_an_advanced_action_answered_with_204_instead_of_a_request_id_raises_a_response_error(
    nuki: SimulatedNuki,
) -> None:
    nuki.sim.add_fault(Fault(method="POST", status=204, body=None))

    with pytest.raises(NukiResponseError):
        await nuki.client.lock_advanced(FRONT_DOOR_ID)


# --- the token stays secret ----------------------------------------------------------------------


async def test_the_client_repr_never_shows_the_token(nuki: SimulatedNuki) -> None:
    assert CANARY_TOKEN not in repr(nuki.client)
    assert CANARY_TOKEN not in str(nuki.client)
    assert "api.nuki.io" in repr(nuki.client)


@pytest.mark.parametrize(
    "fault",
    [
        Fault.json(400, "Invalid parameter", path=DEVICE_PATH, times=ALWAYS),
        Fault.json(429, "Too many requests", path=DEVICE_PATH, times=ALWAYS, headers={"Retry-After": "120"}),
        Fault.html(502, path=DEVICE_PATH, times=ALWAYS),
        Fault(path=DEVICE_PATH, status=503, times=ALWAYS),
        Fault(path=DEVICE_PATH, status=200, body="<html></html>", content_type="text/html"),
        Fault(path=DEVICE_PATH, kind="timeout", times=ALWAYS),
        Fault(path=DEVICE_PATH, kind="drop", times=ALWAYS),
        Fault(path=DEVICE_PATH, kind="connect", times=ALWAYS),
    ],
    ids=["400-json", "429-json", "502-html", "503-empty", "200-unreadable", "timeout", "drop", "connect"],
)
async def test_no_error_message_ever_contains_the_token(nuki: SimulatedNuki, fault: Fault) -> None:
    nuki.sim.add_fault(fault)

    error = await failed_read(nuki)

    assert CANARY_TOKEN not in str(error)
    assert CANARY_TOKEN not in repr(error)
    assert all(CANARY_TOKEN not in str(arg) for arg in error.args)
    assert CANARY_TOKEN not in repr(vars(error))
    assert is_one_sentence(error.message)
