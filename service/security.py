"""HTTP security for every answer: security headers, a Content-Security-Policy that the pages
satisfy, links that never echo the client's Host header, and the client's address behind
trusted reverse proxies only.

A page's policy allows the inline scripts the program itself wrote — given by the code that
builds the page, never found by looking at the finished page — by the SHA-256 hash of each, and
nothing else: no inline event handlers, no ``eval``, no script that data smuggled into the page.
Files written for publication (the yearly report, a map from ``stadskarna map``) carry the same
policy in a ``<meta>`` element.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
from collections.abc import Iterable
from html.parser import HTMLParser
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.settings import MapSettings, ServiceSettings
from service.context import context

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
"""The policy of every answer that is not a page (JSON, images): nothing may run or be framed."""
COMMON_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                  "Cross-Origin-Opener-Policy": "same-origin"}
PAGE_REFERRER_POLICY = "strict-origin-when-cross-origin"
"""Pages send their origin (never the path) to other sites: tile servers such as OpenStreetMap's
refuse requests without a Referer."""
_SCRIPT_TYPES = ("", "text/javascript", "application/javascript", "module")


class _InlineScripts(HTMLParser):
    """The text of every executable ``<script>`` without ``src``, as a browser splits the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self._inside = False
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        values = dict(attrs)
        if tag == "script" and "src" not in values and (values.get("type") or "").lower() in _SCRIPT_TYPES:
            self._inside, self._text = True, []

    def handle_data(self, data: str) -> None:
        if self._inside:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._inside:
            self.scripts.append("".join(self._text))
            self._inside = False


def inline_scripts(html: str) -> list[str]:
    """The text of each executable inline script of ``html``, in page order. For markup the
    program wrote itself (a page template before data goes in, a generated page without data) —
    never for a finished page that holds data (maps name their scripts themselves:
    :func:`geo.maps.markup.page_html`)."""
    parser = _InlineScripts()
    parser.feed(html)
    parser.close()
    return parser.scripts


def _hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"


def tile_origin(maps: MapSettings) -> str | None:
    """The origin basemap tiles are loaded from (``{s}`` subdomains as a wildcard), or None."""
    url, _ = maps.tile_url()
    if not url:
        return None
    parts = urlsplit(url.replace("{s}.", "*.").replace("{s}", "*"))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


def page_policy(maps: MapSettings, scripts: Iterable[str] = (), served: bool = True) -> str:
    """The Content-Security-Policy of a page: the inline ``scripts`` the program wrote (those of
    pages embedded with ``srcdoc`` too: they inherit the policy) by hash; scripts, styles and
    images from the service itself when ``served``; inline styles (folium and Leaflet set them);
    images also as data URLs and from the basemap tile server."""
    hashes = list(dict.fromkeys(_hash(script) for script in scripts))
    self_source = ["'self'"] if served else []
    images = self_source + ["data:"] + ([origin] if (origin := tile_origin(maps)) else [])
    directives = [
        "default-src " + (" ".join(self_source) or "'none'"),
        "script-src " + " ".join(self_source + hashes or ["'none'"]),
        "style-src " + " ".join(self_source + ["'unsafe-inline'"]),
        "img-src " + " ".join(images),
        "connect-src " + (" ".join(self_source) or "'none'"),
        "object-src 'none'", "base-uri 'none'", "form-action 'self'",
    ]
    if served:
        directives.append("frame-ancestors 'self'")
    return "; ".join(directives)


def html_page(request: Request, html: str, scripts: Iterable[str] = (), status_code: int = 200) -> HTMLResponse:
    """An HTML answer whose policy (:func:`page_policy`) allows the inline ``scripts`` the program
    wrote into it and no other."""
    policy = page_policy(context(request).settings.maps, scripts)
    return HTMLResponse(html, status_code=status_code,
                        headers={"Content-Security-Policy": policy, "Referrer-Policy": PAGE_REFERRER_POLICY})


def with_meta_policy(html: str, maps: MapSettings, scripts: Iterable[str] = ()) -> str:
    """A page written to a file, with its policy in a ``<meta>`` element at the start of ``<head>``
    (a file has no headers; ``frame-ancestors`` cannot be set this way)."""
    policy = page_policy(maps, scripts, served=False)
    meta = (f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
            f'<meta name="referrer" content="{PAGE_REFERRER_POLICY}">')
    head = html.find("<head>")
    return html[:head + 6] + meta + html[head + 6:] if head >= 0 else meta + html


class SecurityHeaders:
    """ASGI middleware: the common security headers on every answer, and the restrictive
    :data:`API_POLICY` on any answer that did not set its own policy (pages set theirs)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in COMMON_HEADERS.items():
                    if name.lower().encode() not in present:
                        headers.append((name.lower().encode(), value.encode()))
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", API_POLICY.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def base_url(request: Request, service: ServiceSettings) -> str:
    """The service's address for links: the configured public URL; else the request's own when
    its host is an allowed one; else "" (links relative to the host the client used)."""
    if service.public_url:
        return service.public_url.rstrip("/")
    host = request.url.hostname or ""
    allowed = {h.strip("[]").lower() for h in service.allowed_hosts}
    return str(request.base_url).rstrip("/") if host.strip("[]").lower() in allowed else ""


def link(request: Request, path_and_query: str) -> str:
    """A link to ``path_and_query`` (starting with ``/``) from :func:`base_url`."""
    return base_url(request, context(request).settings.service) + path_and_query


def client_address(request: Request, trusted_proxies: list[str]) -> str:
    """The client's address for rate limits: the TCP peer, unless the peer is a trusted proxy —
    then the right-most address of ``X-Forwarded-For`` (every such header, in order) that is not a
    trusted proxy; a hop that is not an address stops the walk at the last trusted one. Ports are
    left out. IPv6 clients are keyed by their /64 network (one home or phone network), so rotating
    addresses in it does not escape a limit."""
    networks = [ipaddress.ip_network(p, strict=False) for p in trusted_proxies]

    def trusted(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return any(ip in network for network in networks)

    peer = _address(request.client.host if request.client else "")
    if peer is not None and peer.version == 6 and peer.ipv4_mapped:  # a dual-stack listener's IPv4 client
        peer = peer.ipv4_mapped
    if peer is None:
        return request.client.host if request.client else "unknown"
    client = peer
    if networks and trusted(peer):
        hops = [hop.strip() for line in request.headers.getlist("x-forwarded-for") for hop in line.split(",")]
        for hop in reversed([hop for hop in hops if hop]):
            address = _address(hop)
            if address is not None and address.version == 6 and address.ipv4_mapped:
                address = address.ipv4_mapped
            if address is None:
                break
            client = address
            if not trusted(address):
                break
    if client.version == 6:
        mapped = client.ipv4_mapped
        return str(mapped) if mapped else str(ipaddress.ip_network(f"{client}/64", strict=False))
    return str(client)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An IP address from a peer or a forwarded hop (``1.2.3.4``, ``1.2.3.4:5678``, ``[2001:db8::1]:443``,
    ``2001:db8::1``), or None when it is none."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:text.find("]")] if "]" in text else text
    elif text.count(":") == 1:
        text = text.split(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
