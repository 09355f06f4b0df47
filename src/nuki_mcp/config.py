"""Settings from NUKI_* environment variables and command-line flags (flags win).

A missing or malformed setting raises `SettingsError` with one line a person can act on; the CLI
prints it and exits with code 2.
"""

from __future__ import annotations

import os
import sys
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Literal, get_args
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr

ToolsetName = Literal[
    "devices",
    "actions",
    "config",
    "auths",
    "logs",
    "webhooks",
    "advanced",
    "account",
    "audit",
    "properties",
    "notifications",
    "intercom",
]
ConfirmMode = Literal["auto", "elicit", "passkey", "off"]

ALL_TOOLSETS: tuple[ToolsetName, ...] = get_args(ToolsetName)
# Opt-in: Nuki's Advanced API needs an approved key; addresses, notifications and intercom models few
# households use.
OPT_IN_TOOLSETS: frozenset[ToolsetName] = frozenset({"advanced", "properties", "notifications", "intercom"})
DEFAULT_TOOLSETS: frozenset[ToolsetName] = frozenset(t for t in ALL_TOOLSETS if t not in OPT_IN_TOOLSETS)
_TOOLSET_BY_NAME: dict[str, ToolsetName] = {t: t for t in ALL_TOOLSETS}
DEFAULT_API_URL = "https://api.nuki.io"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message is one line naming the variable or flag."""


class Settings(BaseModel):
    """Everything the server needs to know, already validated."""

    model_config = ConfigDict(frozen=True)

    api_token: SecretStr | None = None
    api_url: str = DEFAULT_API_URL
    toolsets: frozenset[ToolsetName] = DEFAULT_TOOLSETS
    read_only: bool = False
    devices: tuple[str, ...] = ()
    confirm: ConfirmMode = "auto"
    audit_log: Path | None = None
    timeout: float = Field(default=10.0, gt=0, le=120)
    mcp_auth_token: SecretStr | None = None
    allowed_hosts: tuple[str, ...] = ()
    demo: bool = False
    confirmation_ttl_s: float = 120.0
    approval_port: int = Field(default=0, ge=0, le=65535)
    approval_wait: float = Field(default=60.0, ge=0, le=3600)
    public_url: str | None = None
    redis_url: SecretStr | None = None
    secret_key: SecretStr | None = None
    nuki_oauth_client_id: str | None = None
    nuki_oauth_client_secret: SecretStr | None = None
    forwarded_allow_ips: tuple[str, ...] = ()
    user_budget: int = Field(default=600, ge=0)
    account_budget: int = Field(default=1200, ge=0)


class CliOverrides(BaseModel):
    """Flags given on the command line; None means "not given"."""

    api_url: str | None = None
    toolsets: str | None = None
    read_only: bool | None = None
    devices: str | None = None
    confirm: str | None = None
    audit_log: str | None = None
    timeout: str | None = None
    allowed_hosts: str | None = None
    approval_port: str | None = None
    approval_wait: str | None = None
    public_url: str | None = None
    forwarded_allow_ips: str | None = None
    demo: bool = False


def default_audit_log_path(env: Mapping[str, str]) -> Path:
    """The audit trail's default home: the user's state directory."""
    if sys.platform == "win32":
        base = Path(env.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(env.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "nuki-mcp" / "audit.jsonl"


def _parse_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"{name} must be true or false, not {raw!r}.")


def _parse_toolsets(raw: str, name: str) -> frozenset[ToolsetName]:
    names = [part.strip().lower() for part in raw.split(",") if part.strip()]
    if not names:
        raise SettingsError(f"{name} is empty; name at least one of: " + ", ".join(ALL_TOOLSETS) + ".")
    if names == ["all"]:
        return frozenset(ALL_TOOLSETS)
    chosen: set[ToolsetName] = set()
    for toolset in names:
        match = _TOOLSET_BY_NAME.get(toolset)
        if match is None:
            raise SettingsError(
                f"{name} names an unknown toolset {toolset!r}; choose from: all, " + ", ".join(ALL_TOOLSETS) + "."
            )
        chosen.add(match)
    return frozenset(chosen)


def _parse_confirm(raw: str, name: str) -> ConfirmMode:
    value = raw.strip().lower()
    for mode in get_args(ConfirmMode):
        if value == mode:
            return mode
    raise SettingsError(f"{name} must be auto, elicit, passkey or off, not {raw!r}.")


def _parse_timeout(raw: str, name: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, not {raw!r}.") from None
    if not 0 < value <= 120:
        raise SettingsError(f"{name} must be between 0 and 120 seconds, not {raw!r}.")
    return value


def _parse_approval_port(raw: str, name: str) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise SettingsError(f"{name} must be a port number (0 for a free one), not {raw!r}.")
    return value


def _parse_approval_wait(raw: str, name: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 3600:
        raise SettingsError(f"{name} must be between 0 and 3600 seconds, not {raw!r}.")
    return value


def _parse_url(raw: str, name: str) -> str:
    value = raw.strip().rstrip("/")
    if not value.startswith(("https://", "http://")):
        raise SettingsError(f"{name} must start with https:// (or http:// for a local test server), not {raw!r}.")
    problem = _url_problem(value)
    if problem is not None:
        raise SettingsError(f"{name} is not a usable URL ({problem}): {raw!r}; give a base URL like {DEFAULT_API_URL}.")
    return value


def _url_problem(value: str) -> str | None:
    if any(c.isspace() or not c.isprintable() for c in value):
        return "it contains a space or an invisible character"
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        return str(exc).rstrip(".")
    if not parts.hostname:
        return "there is no host name"
    if parts.query or parts.fragment or "?" in value or "#" in value:
        return "a base URL has no ? or # part"
    if port == 0:
        return "port 0 cannot be reached"
    import httpx2  # the client's own parser has the last word; imported late, as the CLI starts faster without

    try:
        httpx2.URL(value)
    except httpx2.InvalidURL as exc:
        return str(exc).rstrip(".")
    return None


def _parse_secret(raw: str, name: str, fix: str, *, quotes: bool = True) -> str:
    """A token as it goes into an HTTP header: printable ASCII, no spaces; the message never shows it."""
    for position, char in enumerate(raw, start=1):
        if not " " < char < "\x7f" or (not quotes and char in "\"'`"):
            what = (
                "a space" if char == " " else f"the character U+{ord(char):04X} {unicodedata.name(char, '')}".rstrip()
            )
            raise SettingsError(
                f"{name} contains {what} at position {position}, which no token has; {fix}, without quotes or spaces."
            )
    return raw


def _parse_allowed_hosts(raw: str, name: str) -> tuple[str, ...]:
    hosts: list[str] = []
    for part in raw.split(","):
        host = part.strip().lower()
        if not host:
            continue
        if "/" in host or any(c.isspace() for c in host):
            raise SettingsError(
                f"{name} takes host names such as mcp.example.com (no scheme or path), not {part.strip()!r}."
            )
        hosts.append(host)
    return tuple(hosts)


def _parse_devices(raw: str, name: str) -> tuple[str, ...]:
    devices = tuple(d.strip() for d in raw.split(",") if d.strip())
    if raw.strip() and not devices:
        # An allow-list that lost all its entries must not silently mean "every device".
        raise SettingsError(f"{name} lists no device ({raw!r}); name devices by id or name, comma-separated.")
    return devices


def _parse_audit_log(raw: str | None, name: str, env: Mapping[str, str], demo: bool) -> Path | None:
    if raw is None:
        path = default_audit_log_path(env)
        # Simulated writes must not mix with the audit trail of real doors.
        return path.with_name("demo-audit.jsonl") if demo else path
    if raw.strip() in {"-", ""}:
        return None
    try:
        return Path(raw.strip()).expanduser()
    except RuntimeError:  # "~user/..." for a user that does not exist
        raise SettingsError(f"{name} starts with a home directory that does not exist: {raw!r}.") from None


def _parse_public_url(raw: str, name: str) -> str:
    value = raw.strip().rstrip("/")
    parts = urlsplit(value)
    loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise SettingsError(
            f"{name} must be the https:// address clients reach nuki-mcp at (http:// only for localhost), not {raw!r}."
        )
    problem = _url_problem(value)
    if problem is None and parts.path not in ("", "/"):
        problem = "give the origin only, without a path; the MCP endpoint is <public URL>/mcp"
    if problem is not None:
        raise SettingsError(f"{name} is not a usable URL ({problem}): {raw!r}.")
    return value


def _parse_redis_url(raw: str, name: str) -> str:
    value = raw.strip()
    if not value.startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError(
            f"{name} must be a Redis URL such as redis://127.0.0.1:6379/0 or rediss://…, "
            f"not a {value.split(':')[0]!r} URL."
        )
    return value


def _parse_secret_key(raw: str, name: str) -> str:
    import base64
    import binascii

    value = raw.strip()
    try:
        decoded = base64.urlsafe_b64decode(value.encode())
    except (binascii.Error, ValueError):
        decoded = b""
    if len(decoded) != 32:
        raise SettingsError(
            f"{name} must be a Fernet key (32 bytes, url-safe base64); make one with "
            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`."
        )
    return value


def _parse_ips(raw: str, name: str) -> tuple[str, ...]:
    import ipaddress

    ips: list[str] = []
    for part in raw.split(","):
        ip = part.strip()
        if not ip:
            continue
        if ip != "*":
            try:
                ipaddress.ip_network(ip, strict=False)
            except ValueError:
                raise SettingsError(
                    f"{name} takes the proxy's IP addresses or networks (e.g. 127.0.0.1,10.0.0.0/8), not {ip!r}."
                ) from None
        ips.append(ip)
    return tuple(ips)


def _parse_budget(raw: str, name: str) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        value = -1
    if value < 0:
        raise SettingsError(f"{name} must be a number of requests per minute (0: no limit), not {raw!r}.")
    return value


def load_settings(env: Mapping[str, str] | None = None, flags: CliOverrides | None = None) -> Settings:
    """Build `Settings` from the environment and command-line flags, or raise `SettingsError`."""
    env = os.environ if env is None else env
    flags = flags or CliOverrides()

    def pick(flag: str | None, flag_name: str, var: str) -> tuple[str | None, str]:
        """The value and the name to quote in an error: the flag's when given, else the variable's."""
        return (flag, flag_name) if flag is not None else (env.get(var), var)

    # --demo talks only to the built-in simulator: a real token is neither needed nor kept. With per-user
    # Nuki sign-in, people act with their own Nuki tokens: the owner's is then only for machine clients.
    token = "" if flags.demo else env.get("NUKI_API_TOKEN", "").strip()
    per_user = bool(env.get("NUKI_OAUTH_CLIENT_ID", "").strip())
    if not token and not flags.demo and not per_user:
        raise SettingsError(
            "NUKI_API_TOKEN is not set; create an API token in Nuki Web (menu API) and set it, "
            "or try the simulated account with --demo."
        )
    token = _parse_secret(token, "NUKI_API_TOKEN", "copy the token from Nuki Web (menu API) again", quotes=False)
    api_url, api_url_name = pick(flags.api_url, "--api-url", "NUKI_API_URL")
    toolsets, toolsets_name = pick(flags.toolsets, "--toolsets", "NUKI_TOOLSETS")
    devices, devices_name = pick(flags.devices, "--devices", "NUKI_DEVICES")
    confirm, confirm_name = pick(flags.confirm, "--confirm", "NUKI_CONFIRM")
    audit_log, audit_log_name = pick(flags.audit_log, "--audit-log", "NUKI_AUDIT_LOG")
    timeout, timeout_name = pick(flags.timeout, "--timeout", "NUKI_TIMEOUT")
    read_only_raw = env.get("NUKI_READ_ONLY")
    read_only = flags.read_only or (read_only_raw is not None and _parse_bool("NUKI_READ_ONLY", read_only_raw))
    mcp_auth = _parse_secret(
        env.get("NUKI_MCP_AUTH_TOKEN", "").strip(), "NUKI_MCP_AUTH_TOKEN", "set it to a long random ASCII secret"
    )
    allowed_hosts, allowed_hosts_name = pick(flags.allowed_hosts, "--allowed-hosts", "NUKI_MCP_ALLOWED_HOSTS")
    approval_port, approval_port_name = pick(flags.approval_port, "--approval-port", "NUKI_APPROVAL_PORT")
    approval_wait, approval_wait_name = pick(flags.approval_wait, "--approval-wait", "NUKI_APPROVAL_WAIT")
    public_url, public_url_name = pick(flags.public_url, "--public-url", "NUKI_MCP_PUBLIC_URL")
    forwarded, forwarded_name = pick(flags.forwarded_allow_ips, "--forwarded-allow-ips", "NUKI_MCP_FORWARDED_ALLOW_IPS")
    redis_url = env.get("NUKI_MCP_REDIS_URL", "").strip()
    user_budget = env.get("NUKI_MCP_USER_BUDGET", "").strip()
    account_budget = env.get("NUKI_MCP_ACCOUNT_BUDGET", "").strip()
    secret_key = env.get("NUKI_MCP_SECRET_KEY", "").strip()
    oauth_id = env.get("NUKI_OAUTH_CLIENT_ID", "").strip()
    oauth_secret = env.get("NUKI_OAUTH_CLIENT_SECRET", "").strip()
    if bool(oauth_id) != bool(oauth_secret):
        raise SettingsError(
            "NUKI_OAUTH_CLIENT_ID and NUKI_OAUTH_CLIENT_SECRET go together; set both (from Nuki's developer "
            "portal) or neither."
        )
    redis = _parse_redis_url(redis_url, "NUKI_MCP_REDIS_URL") if redis_url else None
    if redis is not None and not secret_key:
        raise SettingsError(
            "NUKI_MCP_REDIS_URL needs NUKI_MCP_SECRET_KEY too (the same on every replica): pending changes in Redis "
            "keep keypad codes and PINs sealed with it; make one with "
            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`."
        )
    if oauth_id and not secret_key:
        raise SettingsError(
            "Per-user Nuki sign-in stores Nuki tokens encrypted: set NUKI_MCP_SECRET_KEY to a Fernet key as well; "
            "make one with `python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`."
        )

    return Settings(
        api_token=SecretStr(token) if token else None,
        api_url=_parse_url(api_url, api_url_name) if api_url else DEFAULT_API_URL,
        toolsets=_parse_toolsets(toolsets, toolsets_name) if toolsets is not None else DEFAULT_TOOLSETS,
        read_only=read_only,
        devices=_parse_devices(devices, devices_name) if devices else (),
        confirm=_parse_confirm(confirm, confirm_name) if confirm is not None else "auto",
        audit_log=_parse_audit_log(audit_log, audit_log_name, env, flags.demo),
        timeout=_parse_timeout(timeout, timeout_name) if timeout is not None else 10.0,
        mcp_auth_token=SecretStr(mcp_auth) if mcp_auth else None,
        allowed_hosts=_parse_allowed_hosts(allowed_hosts, allowed_hosts_name) if allowed_hosts else (),
        demo=flags.demo,
        approval_port=_parse_approval_port(approval_port, approval_port_name) if approval_port is not None else 0,
        approval_wait=_parse_approval_wait(approval_wait, approval_wait_name) if approval_wait is not None else 60.0,
        public_url=_parse_public_url(public_url, public_url_name) if public_url else None,
        redis_url=SecretStr(redis) if redis is not None else None,
        secret_key=SecretStr(_parse_secret_key(secret_key, "NUKI_MCP_SECRET_KEY")) if secret_key else None,
        nuki_oauth_client_id=oauth_id or None,
        nuki_oauth_client_secret=SecretStr(oauth_secret) if oauth_secret else None,
        forwarded_allow_ips=_parse_ips(forwarded, forwarded_name) if forwarded else (),
        user_budget=_parse_budget(user_budget, "NUKI_MCP_USER_BUDGET") if user_budget else 600,
        account_budget=_parse_budget(account_budget, "NUKI_MCP_ACCOUNT_BUDGET") if account_budget else 1200,
    )
