"""Checking the URLs of an untrusted kubeconfig: the API server's and the proxy's (pure)."""

from __future__ import annotations

import importlib.util
from urllib.parse import SplitResult, urlsplit

from core.errors import InvalidInput
from core.untrusted import clip

PROXY_SCHEMES = ("http", "https", "socks5", "socks5h", "socks4", "socks4a")


def _split(url: str, what: str, example: str) -> SplitResult:
    bad = InvalidInput(f"{what} {clip(url)} is not a well-formed URL", hint=f"it looks like {example}")
    if any(not ch.isprintable() or ch.isspace() for ch in url):
        raise bad
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a malformed port
        host = parts.hostname
    except ValueError as exc:
        raise bad from exc
    if not host:
        raise bad
    return parts


def check_server(cluster: str, server: str) -> str:
    """The server URL (no trailing slash); ``InvalidInput`` when malformed or carrying a password."""
    what = f"cluster {clip(cluster)} has server"
    if urlsplit_scheme(server) not in ("https", "http"):
        raise InvalidInput(
            f"{what} {clip(server)}, which is not an http(s) URL", hint="it looks like https://host:6443"
        )
    parts = _split(server, what, "https://host:6443")
    if parts.username is not None or parts.password is not None:
        shown = parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1]).geturl()
        raise InvalidInput(
            f"{what} {clip(shown)} with a user name or password in the URL; refused, so that it is never "
            "stored or shown",
            hint="remove it from the URL; put credentials under users[].user (a token, or username/password)",
        )
    return server.rstrip("/")


def urlsplit_scheme(url: str) -> str:
    scheme, sep, _rest = url.partition("://")
    return scheme.lower() if sep else ""


def check_proxy(cluster: str, proxy: str) -> str:
    """The proxy URL; ``InvalidInput`` for an unknown scheme, a missing SOCKS module or a bad URL."""
    what = f"cluster {clip(cluster)} has proxy-url"
    scheme = urlsplit_scheme(proxy)
    if scheme not in PROXY_SCHEMES:
        raise InvalidInput(
            f"{what} with the scheme {clip(scheme or proxy, 40)}, which is not supported",
            hint="use one of " + ", ".join(f"{s}://" for s in PROXY_SCHEMES),
        )
    _split(proxy, what, "http://proxy:3128")
    if scheme.startswith("socks") and importlib.util.find_spec("socks") is None:
        raise InvalidInput(
            f"{what} with a {scheme}:// proxy, but SOCKS support (the PySocks package) is not installed here",
            hint="use an http:// proxy, or install PySocks where the dashboard runs",
        )
    return proxy
