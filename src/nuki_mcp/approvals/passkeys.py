"""The owner's passkeys: stored in nuki-mcp's state directory, registered and verified with py_webauthn.

`passkeys.json` lives in the folder of the *default* audit log (whatever NUKI_AUDIT_LOG says), mode 0600,
and is replaced atomically on every write. It holds public keys and sign counters only: nothing in it can
approve anything.

Ceremonies (RP id `localhost`, RP name `nuki-mcp`): registration asks for a resident credential with user
verification required; authentication asks for user verification and accepts only enrolled credentials.
The library checks signature, RP id, origin, user verification, challenge and sign counter; we never parse
CBOR or verify signatures by hand.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import tempfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Final, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url, parse_authentication_credential_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from nuki_mcp.clock import Clock
from nuki_mcp.config import default_audit_log_path

RP_ID: Final = "localhost"
RP_NAME: Final = "nuki-mcp"
PASSKEYS_FILE: Final = "passkeys.json"
CEREMONY_TIMEOUT_MS: Final = 120_000
_USER_NAME: Final = "nuki-mcp owner"


def default_state_dir(env: Mapping[str, str] | None = None) -> Path:
    """nuki-mcp's state directory: the folder of the default audit log."""
    return default_audit_log_path(os.environ if env is None else env).parent


class PasskeyError(Exception):
    """A ceremony failed or the passkey file is unusable; the message is one sentence for a person."""


class StoredPasskey(BaseModel):
    model_config = ConfigDict(frozen=True)

    credential_id: str  # base64url, as WebAuthn spells it
    public_key: str  # base64url of the COSE key
    sign_count: int
    label: str
    created: datetime
    last_used: datetime | None = None


class _PasskeyFile(BaseModel):
    version: int = 1
    user_id: str  # base64url; one owner per installation
    passkeys: list[StoredPasskey] = []


class PasskeyRegistry(Protocol):
    """Where the owner's passkeys live: `PasskeyStore` (a file) or a shared store for several replicas."""

    def enrolled(self) -> list[StoredPasskey]: ...

    def find(self, credential_id: str) -> StoredPasskey | None: ...

    def user_id(self) -> bytes: ...

    def add(self, passkey: StoredPasskey) -> None: ...

    def remove(self, credential_id: str) -> bool: ...

    def record_use(self, credential_id: str, sign_count: int, when: datetime) -> None: ...


class PasskeyStore:
    """`passkeys.json` in `directory`; every change re-reads the file and replaces it atomically."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / PASSKEYS_FILE

    def enrolled(self) -> list[StoredPasskey]:
        return list(self._load().passkeys)

    def find(self, credential_id: str) -> StoredPasskey | None:
        return next((p for p in self._load().passkeys if p.credential_id == credential_id), None)

    def user_id(self) -> bytes:
        """The owner's WebAuthn user handle, created (and saved) on first use."""
        data = self._load()
        if not self.path.exists():
            self._save(data)
        return base64url_to_bytes(data.user_id)

    def add(self, passkey: StoredPasskey) -> None:
        data = self._load()
        kept = [p for p in data.passkeys if p.credential_id != passkey.credential_id]
        self._save(data.model_copy(update={"passkeys": [*kept, passkey]}))

    def remove(self, credential_id: str) -> bool:
        data = self._load()
        kept = [p for p in data.passkeys if p.credential_id != credential_id]
        if len(kept) == len(data.passkeys):
            return False
        self._save(data.model_copy(update={"passkeys": kept}))
        return True

    def record_use(self, credential_id: str, sign_count: int, when: datetime) -> None:
        data = self._load()
        updated = [
            p.model_copy(update={"sign_count": sign_count, "last_used": when})
            if p.credential_id == credential_id
            else p
            for p in data.passkeys
        ]
        self._save(data.model_copy(update={"passkeys": updated}))

    def _load(self) -> _PasskeyFile:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return _PasskeyFile(user_id=bytes_to_base64url(secrets.token_bytes(32)))
        except OSError as exc:
            raise PasskeyError(f"Cannot read {self.path} ({exc.strerror}); fix its permissions.") from None
        try:
            return _PasskeyFile.model_validate_json(raw)
        except ValidationError:
            raise PasskeyError(
                f"{self.path} is not a valid passkey file; move it away and enrol again with `nuki-mcp passkey add`."
            ) from None

    def _save(self, data: _PasskeyFile) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".passkeys-", suffix=".tmp", dir=self.directory)  # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(json.dumps(data.model_dump(mode="json"), indent=2) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


def origin_of(port: int) -> str:
    """The origin the browser reports for pages served at http://localhost:PORT."""
    return f"http://{RP_ID}:{port}"


def registration_options(store: PasskeyRegistry, challenge: bytes, label: str, *, rp_id: str = RP_ID) -> str:
    """Options JSON for `navigator.credentials.create()`: resident key, user verification required."""
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=RP_NAME,
        user_name=_USER_NAME,
        user_display_name=label,
        user_id=store.user_id(),
        challenge=challenge,
        timeout=CEREMONY_TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            require_resident_key=True,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id)) for p in store.enrolled()
        ],
    )
    return options_to_json(options)


def verify_registration(
    store: PasskeyRegistry,
    credential_json: str,
    *,
    challenge: bytes,
    origin: str,
    label: str,
    clock: Clock,
    rp_id: str = RP_ID,
) -> StoredPasskey:
    """Verify a registration response and store the new passkey; raises `PasskeyError`."""
    try:
        verified = verify_registration_response(
            credential=credential_json,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            require_user_verification=True,
        )
    except WebAuthnException:
        raise PasskeyError("The passkey could not be registered (the browser's answer did not verify).") from None
    passkey = StoredPasskey(
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=bytes_to_base64url(verified.credential_public_key),
        sign_count=verified.sign_count,
        label=label,
        created=clock.now(),
    )
    store.add(passkey)
    return passkey


def authentication_options(challenge: bytes, *, rp_id: str = RP_ID) -> str:
    """Options JSON for `navigator.credentials.get()`: a discoverable credential, user verification required."""
    options = generate_authentication_options(
        rp_id=rp_id,
        challenge=challenge,
        timeout=CEREMONY_TIMEOUT_MS,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return options_to_json(options)


def verify_authentication(
    store: PasskeyRegistry,
    credential_json: str,
    *,
    challenge: bytes,
    origin: str | list[str],
    clock: Clock,
    rp_id: str = RP_ID,
) -> StoredPasskey:
    """Verify an assertion from an enrolled passkey, then record its use; raises `PasskeyError`."""
    try:
        credential = parse_authentication_credential_json(credential_json)
    except WebAuthnException:
        raise PasskeyError("The browser's answer was not a passkey assertion.") from None
    passkey = store.find(credential.id)
    if passkey is None:
        raise PasskeyError("This passkey is not enrolled with nuki-mcp; use an enrolled one.")
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=base64url_to_bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except WebAuthnException:
        raise PasskeyError("The passkey's answer did not verify; try again.") from None
    now = clock.now()
    store.record_use(passkey.credential_id, verified.new_sign_count, now)
    return passkey.model_copy(update={"sign_count": verified.new_sign_count, "last_used": now})


def require_enrolled_passkey(directory: Path | None = None) -> None:
    """Start-up check of NUKI_CONFIRM=passkey; raises `PasskeyError` with one line when none is enrolled."""
    store = PasskeyStore(directory or default_state_dir())
    if not store.enrolled():
        raise PasskeyError(
            "NUKI_CONFIRM=passkey needs an enrolled passkey, and none is; run `nuki-mcp passkey add` first."
        )
