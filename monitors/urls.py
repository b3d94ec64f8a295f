"""The one URL rule for every URL the monitor sends to (ARM, storage, alert sinks). Pure: no I/O.

Every parser must see the same host: Python's urlsplit takes "a\\@127.0.0.1" as user "a\\" at 127.0.0.1 while
urllib3 (what requests sends with) ends the host at the backslash and connects to "a". So only an unambiguous subset
is accepted: ASCII, no whitespace, control characters, backslash or user info, and an authority that is exactly a DNS
name or IP literal with an optional port 1-65535. Plain http is for loopback only (the local emulator and receivers).
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from urllib.parse import urlsplit


def is_loopback(host: str | None) -> bool:
    """True for localhost and loopback IP literals (bracketed IPv6 included)."""
    if host is None:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_AUTHORITY = re.compile(rf"(?P<host>\[[0-9A-Fa-f:.]+\]|(?:{_LABEL}\.)*{_LABEL}\.?)(?::(?P<port>[^:]*))?")


def url_problem(raw: str, *, http_to_loopback: bool) -> str | None:
    """What is wrong with ``raw`` as a URL to send to, or None when it is sound."""
    if any(ch.isspace() or ch == "\\" or unicodedata.category(ch) == "Cc" for ch in raw):
        return "has whitespace, a control character or a backslash"
    if not raw.isascii():
        return "has non-ASCII characters (percent-encode them; write the host in its xn-- form)"
    try:
        parts = urlsplit(raw)
    except ValueError:
        return "is not a valid URL"
    if "@" in parts.netloc:
        return "has user info (name@host), which is not allowed"
    if not parts.netloc:
        return "has no host"
    authority = _AUTHORITY.fullmatch(parts.netloc)
    if not authority or not _valid_ip_literal(authority["host"]):
        return "has an invalid host"
    port = authority["port"]
    if port is not None and not (port.isdigit() and 1 <= int(port) <= 65535):
        return "has an invalid port (expected 1-65535)"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and http_to_loopback and is_loopback(authority["host"]):
        return None
    return "is not https (http only to 127.0.0.1, ::1 or localhost)" if http_to_loopback else "is not https"


def _valid_ip_literal(host: str) -> bool:
    if not host.startswith("["):
        return True
    try:
        ipaddress.IPv6Address(host[1:-1])
    except ValueError:
        return False
    return True
