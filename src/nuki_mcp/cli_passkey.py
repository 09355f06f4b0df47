"""`nuki-mcp passkey add | list | remove`: enrol and manage the owner's passkeys for approvals.

Enrolment exists only here, on the machine's own command line: `add` serves the enrolment page on
loopback, opens the browser and also prints the URL (stderr), and exits 0 once a passkey is enrolled,
or 1 with one line when `--timeout` seconds pass without one. Bad command lines and unreadable passkey
files are one line and exit code 2.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import webbrowser
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, NoReturn

import anyio

from nuki_mcp.config import SettingsError

if TYPE_CHECKING:
    from nuki_mcp.approvals.passkeys import PasskeyRegistry

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
DEFAULT_ENROL_TIMEOUT_S = 300.0


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _seconds(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, not {raw!r}") from None
    if not 0 < value <= 86_400:
        raise argparse.ArgumentTypeError(f"must be between 0 and 86400 seconds, not {raw!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="nuki-mcp passkey", description="Enrol and manage passkeys that approve opening actions.")
    commands = parser.add_subparsers(dest="action", metavar="{add,list,remove}", required=True)
    add = commands.add_parser("add", help="enrol a passkey in the browser (loopback page)")
    add.add_argument("--name", metavar="LABEL", help="a label to recognise this passkey by (default: host name)")
    add.add_argument(
        "--timeout",
        metavar="S",
        type=_seconds,
        default=DEFAULT_ENROL_TIMEOUT_S,
        help=f"give up after S seconds without an enrolment (default {DEFAULT_ENROL_TIMEOUT_S:g})",
    )
    add.add_argument(
        "--public-url",
        metavar="URL",
        help="for a remote server: print a one-time enrolment link on that URL (valid 10 minutes) instead",
    )
    commands.add_parser("list", help="show the enrolled passkeys")
    remove = commands.add_parser("remove", help="remove an enrolled passkey")
    remove.add_argument("credential_id", metavar="ID", help="its credential id, as `nuki-mcp passkey list` shows it")
    return parser


def _say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def _fail(message: str) -> None:
    _say(f"nuki-mcp: error: {' '.join(message.split())}")


def passkey_main(argv: Sequence[str]) -> int:
    """`nuki-mcp passkey ...`; returns the exit code."""
    from nuki_mcp.approvals.passkeys import PasskeyError, PasskeyStore, default_state_dir

    try:
        namespace = build_parser().parse_args(argv)
    except _UsageError as exc:
        _fail(str(exc))
        return EXIT_USAGE
    store: PasskeyRegistry = PasskeyStore(default_state_dir())
    redis_url = os.environ.get("NUKI_MCP_REDIS_URL", "").strip()
    if redis_url:  # replicas keep the owner's passkeys in their shared Redis
        from nuki_mcp.approvals.redis_passkeys import RedisPasskeyStore
        from nuki_mcp.shared_state.redis_state import sync_client

        store = RedisPasskeyStore(sync_client(redis_url))
    action = str(namespace.action)
    try:
        if action == "list":
            return _list(store)
        if action == "remove":
            return _remove(store, str(namespace.credential_id))
        name: object = namespace.name
        timeout: object = namespace.timeout
        label = name.strip() if isinstance(name, str) and name.strip() else socket.gethostname() or "passkey"
        public_url: object = namespace.public_url
        if isinstance(public_url, str):
            return _enrolment_link(public_url, label)
        return _add(store, label, timeout if isinstance(timeout, float) else DEFAULT_ENROL_TIMEOUT_S)
    except PasskeyError as exc:
        _fail(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_FAILED
    except Exception as exc:
        import redis

        if not isinstance(exc, redis.RedisError):
            raise
        _fail(f"Cannot reach Redis ({exc}); check NUKI_MCP_REDIS_URL, where the replicas keep the passkeys.")
        return EXIT_FAILED


def _when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value is not None else "never"


def _list(store: PasskeyRegistry) -> int:
    passkeys = store.enrolled()
    if not passkeys:
        _say("No passkey is enrolled; add one with `nuki-mcp passkey add`.")
        return EXIT_OK
    rows = [("LABEL", "CREDENTIAL ID", "CREATED", "LAST USED")]
    rows += [(p.label, p.credential_id, _when(p.created), _when(p.last_used)) for p in passkeys]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join([*(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])), row[3]]) for row in rows]
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
    return EXIT_OK


def _remove(store: PasskeyRegistry, credential_id: str) -> int:
    passkey = next((p for p in store.enrolled() if p.credential_id == credential_id), None)
    if passkey is None or not store.remove(credential_id):
        _fail(f"No enrolled passkey has the id {credential_id!r}; `nuki-mcp passkey list` shows the ids.")
        return EXIT_FAILED
    _say(f"Removed the passkey {passkey.label!r} ({credential_id}).")
    return EXIT_OK


def _add(store: PasskeyRegistry, label: str, timeout: float) -> int:
    from nuki_mcp.approvals.app import Enrolment, LoopbackServer, build_approval_app
    from nuki_mcp.clock import SystemClock

    server = LoopbackServer(0)
    enrolment = Enrolment(label=label, passkeys=store)
    app = build_approval_app(port=server.port, passkeys=store, clock=SystemClock(), enrolment=enrolment)
    url = f"{server.base_url}/passkeys/enrol"

    async def run() -> None:
        async with server.running(app), anyio.create_task_group() as group:
            _say(f"Add a passkey for nuki-mcp: open {url} in a browser on this machine (waiting {timeout:g} s).")
            group.start_soon(_open_browser, url)
            with anyio.move_on_after(timeout):
                await enrolment.done.wait()
            group.cancel_scope.cancel()

    anyio.run(run)
    if enrolment.enrolled is None:
        _fail(
            f"No passkey was enrolled within {timeout:g} s; run `nuki-mcp passkey add` again and finish in the browser."
        )
        return EXIT_FAILED
    _say(f"Added the passkey {enrolment.enrolled.label!r} ({enrolment.enrolled.credential_id}).")
    return EXIT_OK


def _enrolment_link(raw_url: str, label: str) -> int:
    """Print a one-time link that enrols a passkey on the remote server at `raw_url` (stdout: the link only)."""
    from nuki_mcp.approvals.passkeys import default_state_dir
    from nuki_mcp.clock import SystemClock
    from nuki_mcp.config import load_settings
    from nuki_mcp.remote.signin import ENROL_LINK_TTL_S, EnrolmentLinks, file_secret

    try:
        settings = load_settings({**os.environ, "NUKI_MCP_PUBLIC_URL": raw_url, "NUKI_API_TOKEN": "unused"})
    except SettingsError as exc:
        _fail(str(exc).replace("NUKI_MCP_PUBLIC_URL", "--public-url"))
        return EXIT_USAGE
    public_url = settings.public_url or raw_url
    if settings.redis_url is not None:
        import redis

        from nuki_mcp.shared_state.redis_state import redis_shared_state

        try:
            secret = redis_shared_state(settings.redis_url.get_secret_value()).secret("enrolment-links")
        except redis.RedisError as exc:
            _fail(f"Cannot reach Redis ({exc}); check NUKI_MCP_REDIS_URL, the server's shared state.")
            return EXIT_FAILED
    else:
        secret = file_secret(default_state_dir())
    link = EnrolmentLinks(secret, SystemClock()).issue(public_url, label)
    _say(
        f"Open this link on the phone or computer whose passkey should sign in to {public_url} "
        f"(it works once, for {ENROL_LINK_TTL_S // 60} minutes):"
    )
    sys.stdout.write(link + "\n")
    sys.stdout.flush()
    return EXIT_OK


async def _open_browser(url: str) -> None:
    # A text-mode browser could block: never let it hold up the enrolment or its timeout.
    await anyio.to_thread.run_sync(webbrowser.open, url, abandon_on_cancel=True)


def check_passkey_enrolled(redis_url: str | None = None) -> None:
    """Start-up check of NUKI_CONFIRM=passkey: raises `SettingsError` (exit 2) when no passkey is enrolled.

    With `redis_url` (replicas) the passkeys are the ones in that Redis, where `passkey add` put them.
    """
    from nuki_mcp.approvals.passkeys import PasskeyError, require_enrolled_passkey

    if redis_url is not None:
        import redis

        from nuki_mcp.approvals.redis_passkeys import RedisPasskeyStore
        from nuki_mcp.shared_state.redis_state import redacted, sync_client

        try:
            enrolled = RedisPasskeyStore(sync_client(redis_url)).enrolled()
        except redis.RedisError as exc:
            raise SettingsError(
                f"Cannot reach Redis at {redacted(redis_url)} ({exc}); check NUKI_MCP_REDIS_URL and that Redis "
                "is running."
            ) from None
        if not enrolled:
            raise SettingsError(
                "NUKI_CONFIRM=passkey needs an enrolled passkey, and the replicas' Redis has none; run "
                "`nuki-mcp passkey add` (with --public-url for a remote host) with NUKI_MCP_REDIS_URL set first."
            )
        return
    try:
        require_enrolled_passkey()
    except PasskeyError as exc:
        raise SettingsError(str(exc)) from None


if __name__ == "__main__":
    sys.exit(passkey_main(sys.argv[1:]))
