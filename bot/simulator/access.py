"""Who may use the chat simulator: a browser on the machine that runs it, nobody else.

The simulator lets anyone act as any debtor and read every balance, so it answers only a
request that comes from a loopback address AND names a loopback host. The Host check stops
DNS rebinding: a web page on attacker.example, re-pointed at 127.0.0.1, still sends
`Host: attacker.example` and is refused.

The checks are a list on the app (`CHECKS`): the dashboard's login, when it lands, is added
to it through `init_app(app, login_check=...)` and then guards the simulator too.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Callable

from flask import Flask, Response, current_app, request

from bot.i18n import _, use_locale

log = logging.getLogger(__name__)

CHECKS = "fundbot.simulator_checks"
LOOPBACK_NAMES = frozenset({"localhost"})
# host, or host:port, or [v6], or [v6]:port
_HOST = re.compile(r"^(?:\[(?P<v6>[0-9a-fA-F:.]+)\]|(?P<name>[^:\[\]]+))(?::(?P<port>\d{1,5}))?$")

Check = Callable[[], Response | None]


def is_loopback_address(address: str | None) -> bool:
    """True for 127.0.0.0/8 and ::1 (also as ::ffff:127.x), whatever the notation."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def is_loopback_host(host: str | None) -> bool:
    """True for a Host header naming this machine: localhost, 127.x.x.x or [::1], any port."""
    match = _HOST.match((host or "").strip())
    if match is None:
        return False
    if match["v6"] is not None:
        return is_loopback_address(match["v6"]) and ":" in match["v6"]
    name = match["name"].lower()
    if name in LOOPBACK_NAMES:
        return True
    # Only an IP literal: a name that merely resolves to 127.0.0.1 is what rebinding uses.
    return re.fullmatch(r"[0-9.]+", name) is not None and is_loopback_address(name)


def loopback_only() -> Response | None:
    """Refuse a request from another machine, or one naming another host."""
    if is_loopback_address(request.remote_addr) and is_loopback_host(request.host):
        return None
    log.warning(
        "simulator: refused %s %s from %s (Host: %s)",
        request.method,
        request.path,
        request.remote_addr,
        request.host,
    )
    from bot.simulator import page_language

    with use_locale(page_language()):
        message = _(
            "The chat simulator only answers on the computer that runs it: open it there, "
            "at http://127.0.0.1 or http://localhost with the same port."
        )
    return Response(message, status=403, mimetype="text/plain")


def install(app: Flask, login_check: Check | None = None) -> None:
    """Guard the simulator on `app`: loopback first, then the login check when there is one."""
    checks: list[Check] = [loopback_only]
    if login_check is not None:
        checks.append(login_check)
    app.extensions[CHECKS] = checks


def guard() -> Response | None:
    """Run before every simulator request: the first check that refuses answers."""
    for check in current_app.extensions.get(CHECKS, [loopback_only]):
        refusal = check()
        if refusal is not None:
            return refusal
    return None
