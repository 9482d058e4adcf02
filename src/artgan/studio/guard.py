"""What keeps other web pages from driving the studio (an ASGI middleware).

A page the user visits elsewhere can make their browser send requests to
``http://127.0.0.1:PORT``: simple cross-site POSTs (``text/plain`` or a form, no CORS
preflight), ``<img src>`` GETs, and, through DNS rebinding, requests whose ``Host`` is the
attacker's name. The guard refuses, with a 403 and a JSON message:

- a ``Host`` whose name is not one the studio serves (loopback names unless the studio
  was started with ``--allow-remote``): defeats DNS rebinding;
- on every method but GET/HEAD: a cross-site ``Origin`` or ``Sec-Fetch-Site``, and a
  missing or wrong ``X-Artgan-Token`` header. The token is random per server start and
  is written into the page the studio serves, which other origins cannot read; a custom
  header also forces a CORS preflight the studio never grants.

GET endpoints have no side effects, so an ``<img>`` elsewhere can at most render a
picture nobody sees.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
TOKEN_HEADER = "x-artgan-token"
SAFE_METHODS = frozenset({"GET", "HEAD"})

Scope = dict[str, Any]
Channel = Callable[..., Awaitable[Any]]  # ASGI receive / send
ASGIApp = Callable[[Scope, Channel, Channel], Awaitable[None]]


def new_token() -> str:
    """A fresh random token for one server start."""
    return secrets.token_urlsafe(24)


def host_name(host: str) -> str:
    """``"127.0.0.1:7860"`` → ``"127.0.0.1"``, ``"[::1]:7860"`` → ``"::1"``, lower case."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def refusal(headers: dict[str, str], method: str, token: str,
            allowed_hosts: frozenset[str] | None) -> str | None:  # fmt: skip
    """Why this request is refused, or None. ``headers``: lower-case names."""
    host = headers.get("host", "")
    if allowed_hosts is not None and host_name(host) not in allowed_hosts:
        return (f"host '{host}' is not this studio's address; open it as http://127.0.0.1:"
                "PORT/ (start it with --allow-remote to serve other names)")  # fmt: skip
    if method in SAFE_METHODS:
        return None
    origin = headers.get("origin")
    if origin is not None and origin.lower() not in (f"http://{host}", f"https://{host}"):
        return f"cross-site request from {origin} refused"
    if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return "cross-site request refused"
    if not secrets.compare_digest(headers.get(TOKEN_HEADER, ""), token):
        return "missing or wrong studio token: reload the studio page"
    return None


class StudioGuard:
    """ASGI middleware applying :func:`refusal` to every HTTP request."""

    def __init__(self, app: ASGIApp, token: str, allowed_hosts: Iterable[str] | None) -> None:
        self.app = app
        self.token = token
        self.allowed_hosts = None if allowed_hosts is None else frozenset(allowed_hosts)

    async def __call__(self, scope: Scope, receive: Channel, send: Channel) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        why = refusal(headers, scope["method"], self.token, self.allowed_hosts)
        if why is None:
            await self.app(scope, receive, send)
            return
        body = json.dumps({"error": why}).encode()
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})
