"""The approval and enrolment pages: one self-contained HTML document each, with their security headers.

Inline script and style only (allowed by a per-response CSP nonce), nothing loaded from anywhere, readable
on a phone. Everything shown that came from elsewhere (device names, client names, field values) is
HTML-escaped, and bidi or other control characters are shown as visible code points so that a name
cannot reorder or hide the text around it.
"""

from __future__ import annotations

import html
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from nuki_mcp.approvals.store import Approval, ApprovalState

_STYLE: Final = """
:root { color-scheme: light dark; --accent: #0a6; --deny: #b22; --muted: #666; }
* { box-sizing: border-box; }
body { font: 17px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; padding: 16px;
  max-width: 36rem; margin-inline: auto; overflow-wrap: anywhere; }
h1 { font-size: 1.3rem; margin: 0 0 12px; }
dl { margin: 0 0 16px; }
dt { font-weight: 600; margin-top: 10px; }
dd { margin: 2px 0 0; }
ul { margin: 4px 0 0; padding-inline-start: 20px; }
code { font: 0.95em ui-monospace, SFMono-Regular, Menlo, monospace; }
.buttons { display: flex; gap: 12px; flex-wrap: wrap; margin: 20px 0; }
button { flex: 1 1 12rem; font: inherit; font-weight: 600; padding: 14px 16px; border-radius: 10px;
  border: 0; color: #fff; cursor: pointer; }
button:disabled { opacity: 0.5; cursor: default; }
#approve, #enrol, #signin { background: var(--accent); }
#deny { background: var(--deny); }
#status { min-height: 1.5em; font-weight: 600; }
#status[data-kind="error"] { color: var(--deny); }
#status[data-kind="ok"] { color: var(--accent); }
.muted { color: var(--muted); font-size: 0.9rem; }
.cp { font: 0.85em ui-monospace, monospace; border: 1px solid currentColor; border-radius: 3px; padding: 0 2px; }
"""

# Base64url helpers, a JSON POST, the status line and the passkey assertion, shared by every page.
_COMMON_SCRIPT: Final = r"""
"use strict";
const statusLine = document.getElementById("status");
const b64 = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)))
  .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const unb64 = (text) => {
  const s = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(s + "===".slice((s.length + 3) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0)).buffer;
};
function show(text, kind) { statusLine.textContent = text; statusLine.dataset.kind = kind; }
async function post(path, body) {
  const response = await fetch(path, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body || {}),
    credentials: "same-origin", cache: "no-store",
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) { throw new Error(data.error || "The server refused this."); }
  return data;
}
// The assertion ceremony of the approval and sign-in pages: options from `${base}/options`, the
// passkey's answer to `${base}/verify`, whose reply it returns.
async function assertWithPasskey(base) {
  const options = await post(`${base}/options`);
  options.challenge = unb64(options.challenge);
  for (const c of options.allowCredentials || []) { c.id = unb64(c.id); }
  const credential = await navigator.credentials.get({ publicKey: options });
  const r = credential.response;
  const answer = {
    id: credential.id, rawId: b64(credential.rawId), type: credential.type,
    response: {
      clientDataJSON: b64(r.clientDataJSON), authenticatorData: b64(r.authenticatorData),
      signature: b64(r.signature),
    },
    clientExtensionResults: {},
  };
  if (r.userHandle) { answer.response.userHandle = b64(r.userHandle); }
  if (credential.authenticatorAttachment) { answer.authenticatorAttachment = credential.authenticatorAttachment; }
  return post(`${base}/verify`, answer);
}
function problem(error) {
  return error && error.name === "NotAllowedError"
    ? "The passkey check was cancelled or could not verify you."
    : (error && error.message) || String(error);
}
"""

_APPROVE_SCRIPT: Final = r"""
const page = document.getElementById("approval");
const approvalId = page.dataset.id;
const approveButton = document.getElementById("approve");
const denyButton = document.getElementById("deny");
const left = document.getElementById("left");
let secondsLeft = Number(left.dataset.seconds);
let settled = page.dataset.state !== "pending";
function setBusy(busy) { approveButton.disabled = busy || settled; denyButton.disabled = busy || settled; }
function settle(text, kind) { settled = true; setBusy(true); show(text, kind); }
function tick() {
  if (settled) { return; }
  secondsLeft = Math.max(0, secondsLeft - 1);
  left.textContent = `${Math.floor(secondsLeft / 60)}:${String(secondsLeft % 60).padStart(2, "0")}`;
  if (secondsLeft === 0) { settle("This approval expired; nothing was done.", "error"); }
}
setInterval(tick, 1000);
approveButton.addEventListener("click", async () => {
  setBusy(true);
  show("Waiting for your passkey\u2026", "busy");
  try {
    await assertWithPasskey(`/approve/${approvalId}`);
    settle("Approved. You can close this page; if the agent stopped waiting, tell it to go ahead.", "ok");
  } catch (error) {
    show(`Not approved: ${problem(error)}`, "error");
    setBusy(false);
  }
});
denyButton.addEventListener("click", async () => {
  setBusy(true);
  try {
    await post(`/approve/${approvalId}/deny`);
    settle("Denied. Nothing will be done.", "ok");
  } catch (error) {
    show(`Could not deny: ${problem(error)}`, "error");
    setBusy(false);
  }
});
setBusy(false);
"""

_ENROL_SCRIPT: Final = r"""
const enrolButton = document.getElementById("enrol");
enrolButton.addEventListener("click", async () => {
  enrolButton.disabled = true;
  show("Waiting for your passkey\u2026", "busy");
  try {
    const options = await post(`${location.pathname}/options`);
    options.challenge = unb64(options.challenge);
    options.user.id = unb64(options.user.id);
    for (const c of options.excludeCredentials || []) { c.id = unb64(c.id); }
    const credential = await navigator.credentials.create({ publicKey: options });
    const r = credential.response;
    const answer = {
      id: credential.id, rawId: b64(credential.rawId), type: credential.type,
      response: {
        clientDataJSON: b64(r.clientDataJSON), attestationObject: b64(r.attestationObject),
        transports: r.getTransports ? r.getTransports() : [],
      },
      clientExtensionResults: {},
    };
    if (credential.authenticatorAttachment) { answer.authenticatorAttachment = credential.authenticatorAttachment; }
    await post(`${location.pathname}/verify`, answer);
    show("Passkey added. You can close this page.", "ok");
  } catch (error) {
    show(`No passkey added: ${problem(error)}`, "error");
    enrolButton.disabled = false;
  }
});
"""

_SIGNIN_SCRIPT: Final = r"""
const signinButton = document.getElementById("signin");
const base = location.pathname;
signinButton.addEventListener("click", async () => {
  signinButton.disabled = true;
  show("Waiting for your passkey\u2026", "busy");
  try {
    const done = await assertWithPasskey(base);
    show("Signed in; returning to your app\u2026", "ok");
    location.assign(done.redirect);
  } catch (error) {
    show(`Not signed in: ${problem(error)}`, "error");
    signinButton.disabled = false;
  }
});
"""

_STATE_TEXT: Final[dict[ApprovalState, str]] = {
    "pending": "",
    "granted": "Already approved.",
    "denied": "Denied. Nothing will be done.",
    "expired": "This approval expired; nothing was done.",
    "redeemed": "Approved and done.",
}

# Characters that change text direction or are invisible: shown as code points instead.
_BIDI_CONTROLS: Final = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200c\u200d\u2060\ufeff"
)


def visible(text: str) -> str:
    """`text` as safe HTML: escaped, with bidi and control characters shown as visible code points."""
    parts: list[str] = []
    for char in text:
        if char in _BIDI_CONTROLS or unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"}:
            parts.append(f'<span class="cp">U+{ord(char):04X}</span>')
        else:
            parts.append(html.escape(char, quote=True))
    return "<bdi>" + "".join(parts) + "</bdi>"


@dataclass(frozen=True)
class Page:
    """An HTML document and the headers it must be served with."""

    body: str
    headers: dict[str, str]


def security_headers(nonce: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": (
            f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; connect-src 'self'; "
            "img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        ),
        "Cache-Control": "no-store",
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
    }


def _document(title: str, main: str, script: str) -> Page:
    nonce = secrets.token_urlsafe(18)
    body = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{html.escape(title)}</title>"
        f'<style nonce="{nonce}">{_STYLE}</style></head>\n'
        f"<body>{main}\n"
        f'<script nonce="{nonce}">{_COMMON_SCRIPT}{script}</script></body></html>\n'
    )
    return Page(body=body, headers=security_headers(nonce))


def approval_page(approval: Approval, now: datetime) -> Page:
    """`GET /approve/{id}`: what will happen, who asked, time left, Approve with passkey and Deny."""
    request = approval.request
    seconds = approval.seconds_left(now) if approval.state == "pending" else 0
    devices = "".join(f"<li>{visible(d.name)} (id {d.smartlock_id})</li>" for d in request.devices)
    changes = "".join(f"<li>{visible(c)}</li>" for c in request.changes)
    asked_by = visible(request.client_name) if request.client_name else "an MCP client that gave no name"
    main = (
        f'<main id="approval" data-id="{html.escape(approval.id)}" data-state="{approval.state}">'
        "<h1>Approve this action?</h1>"
        "<dl>"
        f'<dt>What will happen</dt><dd id="summary">{visible(request.summary)}</dd>'
        + (f'<dt>Device</dt><dd><ul id="devices">{devices}</ul></dd>' if devices else "")
        + f'<dt>Action</dt><dd><code id="tool">{visible(request.tool)}</code></dd>'
        + (f'<dt>Changes</dt><dd><ul id="changes">{changes}</ul></dd>' if changes else "")
        + f'<dt>Asked by</dt><dd id="client">{asked_by}</dd>'
        f'<dt>Time left</dt><dd><span id="left" data-seconds="{seconds}">{seconds // 60}:{seconds % 60:02d}</span>'
        "</dd></dl>"
        '<div class="buttons"><button id="approve" type="button" disabled>Approve with passkey</button>'
        '<button id="deny" type="button" disabled>Deny</button></div>'
        f'<p id="status" role="status" aria-live="polite">{_STATE_TEXT[approval.state]}</p>'
        '<p class="muted">Approving needs your passkey (fingerprint, face, PIN or security key). '
        "Nothing happens unless you approve.</p></main>"
    )
    return _document("nuki-mcp: approve an action", main, _APPROVE_SCRIPT)


def enrol_page(label: str) -> Page:
    """`GET /passkeys/enrol`: add a passkey that can approve nuki-mcp's actions."""
    main = (
        '<main id="enrolment"><h1>Add a passkey to nuki-mcp</h1>'
        f'<p>This passkey, labelled <strong id="label">{visible(label)}</strong>, will be able to approve '
        "actions that open doors or grant access. Your device will ask for your fingerprint, face, PIN or "
        "security key.</p>"
        '<div class="buttons"><button id="enrol" type="button">Add passkey</button></div>'
        '<p id="status" role="status" aria-live="polite"></p></main>'
    )
    return _document("nuki-mcp: add a passkey", main, _ENROL_SCRIPT)


def signin_page(client_name: str | None, host: str) -> Page:
    """`GET /signin/{id}`: an MCP client asks to act for the owner; sign in with the owner's passkey."""
    asked_by = visible(client_name) if client_name else "an MCP client that gave no name"
    main = (
        '<main id="signin-request"><h1>Sign in to nuki-mcp</h1>'
        f'<p><strong id="client">{asked_by}</strong> asks to use nuki-mcp at <code>{visible(host)}</code>: '
        "to see your Nuki locks and to ask you before anything opens a door.</p>"
        '<div class="buttons"><button id="signin" type="button" class="go">Sign in with passkey</button></div>'
        '<p id="status" role="status" aria-live="polite"></p>'
        '<p class="muted">Only the owner\'s enrolled passkey can sign in. '
        "If you did not start this, close the page.</p>"
        "</main>"
    )
    return _document("nuki-mcp: sign in", main, _SIGNIN_SCRIPT)


def message_page(title: str, text: str) -> Page:
    """A page with one sentence and no script (an unknown or malformed approval link)."""
    main = f'<main><h1>{html.escape(title)}</h1><p id="status" role="status">{html.escape(text)}</p></main>'
    return _document(title, main, "")
