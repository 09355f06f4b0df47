"""Keypad codes and PINs of pending changes: digested in bindings, encrypted in stored arguments."""

from __future__ import annotations

import pytest

from nuki_mcp.argument_seal import ArgumentSeal, SealBroken
from nuki_mcp.guard import SECRET_ARGUMENTS

KEY = b"k" * 32
ARGUMENTS = {"smartlock": "Front Door", "name": "Night nurse", "code": 357913, "admin_pin": None}


def test_a_digested_binding_keeps_the_code_out_but_stays_equal_for_the_same_code_and_key() -> None:
    seal = ArgumentSeal(KEY, SECRET_ARGUMENTS)
    digested = seal.digested(ARGUMENTS)
    assert "357913" not in str(digested)
    assert digested == ArgumentSeal(KEY, SECRET_ARGUMENTS).digested(ARGUMENTS)
    assert digested != seal.digested({**ARGUMENTS, "code": 357914})
    assert digested != ArgumentSeal(b"o" * 32, SECRET_ARGUMENTS).digested(ARGUMENTS)
    assert {k: v for k, v in digested.items() if k != "code"} == {k: v for k, v in ARGUMENTS.items() if k != "code"}


def test_sealed_arguments_open_only_with_the_same_key() -> None:
    sealed = ArgumentSeal(KEY, SECRET_ARGUMENTS).sealed(ARGUMENTS)
    assert "357913" not in str(sealed)
    assert ArgumentSeal(KEY, SECRET_ARGUMENTS).opened(sealed) == ARGUMENTS
    with pytest.raises(SealBroken):
        ArgumentSeal(b"o" * 32, SECRET_ARGUMENTS).opened(sealed)


def test_only_secret_arguments_are_opened_whatever_a_name_looks_like() -> None:
    seal = ArgumentSeal(KEY, SECRET_ARGUMENTS)
    looks_sealed = {"name": "fernet:night shift", "code": 111111}
    assert seal.opened(seal.sealed(looks_sealed)) == looks_sealed


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        ArgumentSeal(b"short", SECRET_ARGUMENTS)
