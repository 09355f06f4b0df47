"""A software passkey (ES256, attestation "none") for HTTP-level tests of sign-in and enrolment.

The browser suite proves the pages with a real Chromium and its virtual authenticator; these tests need
only what a browser would send, made by the book (WebAuthn §6.1, §6.5, §7): nuki-mcp verifies it with
py_webauthn exactly as it verifies a phone's answer.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from nuki_mcp.approvals.passkeys import StoredPasskey


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftAuthenticator:
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(16))
    user_handle: bytes = b""
    counter: int = 0

    def _client_data(self, kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}).encode()

    def register(self, options_json: str, origin: str) -> str:
        options = json.loads(options_json)
        rp_id = str(options["rp"]["id"])
        self.user_handle = unb64url(str(options["user"]["id"]))
        cose = self._cose_key()
        self.counter += 1
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([0x45])  # user present, user verified, attested credential data
            + struct.pack(">I", self.counter)
            + bytes(16)
            + struct.pack(">H", len(self.credential_id))
            + self.credential_id
            + cose
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", str(options["challenge"]), origin)
        return json.dumps(
            {
                "id": b64url(self.credential_id),
                "rawId": b64url(self.credential_id),
                "type": "public-key",
                "response": {"clientDataJSON": b64url(client_data), "attestationObject": b64url(attestation)},
                "clientExtensionResults": {},
            }
        )

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    def enrolled(self, label: str = "test phone") -> StoredPasskey:
        """This passkey as nuki-mcp stores it once enrolled (for a replica that must find one at start-up)."""
        return StoredPasskey(
            credential_id=b64url(self.credential_id),
            public_key=b64url(self._cose_key()),
            sign_count=self.counter,
            label=label,
            created=datetime.now(UTC),
        )

    def sign(self, options_json: str, origin: str) -> str:
        options = json.loads(options_json)
        rp_id = str(options["rpId"])
        self.counter += 1
        auth_data = hashlib.sha256(rp_id.encode()).digest() + bytes([0x05]) + struct.pack(">I", self.counter)
        client_data = self._client_data("webauthn.get", str(options["challenge"]), origin)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return json.dumps(
            {
                "id": b64url(self.credential_id),
                "rawId": b64url(self.credential_id),
                "type": "public-key",
                "response": {
                    "clientDataJSON": b64url(client_data),
                    "authenticatorData": b64url(auth_data),
                    "signature": b64url(signature),
                    "userHandle": b64url(self.user_handle),
                },
                "clientExtensionResults": {},
            }
        )
