"""Passkey approvals (APPROVALS.md): pending approvals, the owner's passkeys, and the loopback approval page.

- `store`: `ApprovalStore` (Protocol) and `MemoryApprovalStore`; states, single-use redemption, waiting.
- `passkeys`: `passkeys.json` in the state directory and the WebAuthn ceremonies (py_webauthn).
- `page`: the self-contained approval and enrolment pages with their security headers.
- `app`: the Starlette app and `LoopbackServer` at http://localhost:PORT.

Import the submodules you need: webauthn (and its cryptography) and uvicorn load only where used.
"""
