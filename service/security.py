"""HTTP security for every answer: security headers, a Content-Security-Policy that the pages
satisfy, links that never echo the client's Host header, and the client's address behind
trusted reverse proxies only.

Pages keep their inline scripts (folium writes them); the policy allows exactly those, by the
SHA-256 hash of each, and nothing else: no inline event handlers, no ``eval``, no other origin
but the basemap tile server's for images. Files written for publication (the yearly report, a
map from ``stadskarna map``) carry the same policy in a ``<meta>`` element.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
from html.parser import HTMLParser
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.settings import MapSettings, ServiceSettings

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
"""The policy of every answer that is not a page (JSON, images): nothing may run or be framed."""
COMMON_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                  "Cross-Origin-Opener-Policy": "same-origin"}


class _InlineScripts(HTMLParser):
    """The text of every ``<script>`` without ``src``, as a browser splits the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self._inside = False
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "script" and not any(name == "src" for name, _ in attrs):
            self._inside, self._text = True, []

    def handle_data(self, data: str) -> None:
        if self._inside:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._inside:
            self.scripts.append("".join(self._text))
            self._inside = False


def script_hashes(html: str) -> list[str]:
    """CSP source expressions (``'sha256-…'``) of the page's inline scripts, in page order, once each."""
    parser = _InlineScripts()
    parser.feed(html)
    parser.close()
    digests = ("'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"
               for script in parser.scripts)
    return list(dict.fromkeys(digests))


def tile_origin(maps: MapSettings) -> str | None:
    """The origin basemap tiles are loaded from (``{s}`` subdomains as a wildcard), or None."""
    url, _ = maps.tile_url()
    if not url:
        return None
    parts = urlsplit(url.replace("{s}.", "*.").replace("{s}", "*"))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


def page_policy(html: str, maps: MapSettings, served: bool = True, extra_html: tuple[str, ...] = ()) -> str:
    """The Content-Security-Policy of a page: its own inline scripts (and those of ``extra_html``,
    pages embedded with ``srcdoc``, which inherit the policy) by hash; scripts, styles and images
    from the service itself when ``served``; inline styles (folium and Leaflet set them); images
    also as data URLs and from the basemap tile server."""
    hashes = list(dict.fromkeys(h for page in (html, *extra_html) for h in script_hashes(page)))
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


def html_page(request: Request, html: str, status_code: int = 200) -> HTMLResponse:
    """An HTML answer with the policy of :func:`page_policy` for this page."""
    policy = page_policy(html, request.app.state.settings.maps)
    return HTMLResponse(html, status_code=status_code, headers={"Content-Security-Policy": policy})


def with_meta_policy(html: str, maps: MapSettings, extra_html: tuple[str, ...] = ()) -> str:
    """A page written to a file, with its policy in a ``<meta>`` element at the start of ``<head>``
    (a file has no headers; ``frame-ancestors`` cannot be set this way)."""
    policy = page_policy(html, maps, served=False, extra_html=extra_html)
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
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
    return base_url(request, request.app.state.settings.service) + path_and_query


def client_address(request: Request, trusted_proxies: list[str]) -> str:
    """The client's address for rate limits: the TCP peer, unless the peer is a trusted proxy —
    then the right-most address of ``X-Forwarded-For`` that is not a trusted proxy. IPv6 clients
    are keyed by their /64 network (one home or phone network), so rotating addresses in it
    does not escape a limit."""
    networks = [ipaddress.ip_network(p, strict=False) for p in trusted_proxies]

    def trusted(address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in networks)

    address = request.client.host if request.client else "unknown"
    if networks and trusted(address):
        hops = [hop.strip() for hop in request.headers.get("x-forwarded-for", "").split(",") if hop.strip()]
        while hops and trusted(address):
            address = hops.pop()
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        mapped = ip.ipv4_mapped
        return str(mapped) if mapped else str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
