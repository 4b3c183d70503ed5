"""A small OpenID Connect provider for tests, built on authlib's server side: discovery, the keys
(a generated RSA key), an authorize endpoint that signs in :attr:`TestProvider.user` without asking
or after a press on its own page (``ask``), or denies (``deny``, like a person who cancels), and a
token endpoint (the code grant with PKCE, clients authenticated with ``client_secret_post``) whose
ID tokens authlib's OpenID extension signs. Tests can make it sign with a key it does not publish
(``forge``) or issue expired tokens (``expired``). Served by uvicorn in a thread on 127.0.0.1 (the
``serve`` fixtures of tests/conftest.py)."""

from __future__ import annotations

import html
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from authlib.common.security import generate_token
from authlib.oauth2.rfc6749 import AuthorizationServer, ClientMixin, OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import AuthorizationCodeMixin
from authlib.oidc.core.grants import OpenIDCode
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

CLIENT_ID = "stadskarna-test"
CLIENT_SECRET = "hemligt-test-secret"


@dataclass
class Client(ClientMixin):
    """The service's registration at the provider: one redirect URI, the code flow only."""

    client_id: str
    client_secret: str
    redirect_uri: str

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_allowed_scope(self, scope: str) -> str:
        return scope

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri == self.redirect_uri

    def check_client_secret(self, client_secret: str) -> bool:
        return client_secret == self.client_secret

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "client_secret_post"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Code(AuthorizationCodeMixin):
    """An authorization code as the provider keeps it until the token endpoint takes it."""

    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: dict[str, Any]
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


class _Request(OAuth2Request):
    """authlib's request over a Starlette request's query and (already read) form."""

    def __init__(self, method: str, uri: str, headers: dict[str, str], args: dict[str, str],
                 form: dict[str, str]) -> None:
        super().__init__(method, uri, headers=headers)
        self._args, self._form = args, form
        self.payload = BasicOAuth2Payload({**args, **form})

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class TestProvider:
    """The provider: its issuer URL once :meth:`start` ed, the signed-in person's claims (``user``,
    which tests change), and switches ``ask``, ``deny``, ``forge`` and ``expired``."""

    __test__ = False  # not a test class for pytest

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key"})
        self.other_key = RSAKey.generate_key(2048, parameters={"kid": "test-key"})  # same kid, not published
        self.user: dict[str, Any] = {"sub": "0001", "preferred_username": "Anna.K@Halmstad.se", "roles": ["polis"]}
        self.deny = self.forge = self.expired = self.ask = False
        self.codes: dict[str, Code] = {}
        self.clients: dict[str, Client] = {}
        self.issuer = ""
        self.server = self._server()

    def register(self, redirect_uri: str) -> None:
        """Register the service's client with its callback address."""
        self.clients[CLIENT_ID] = Client(CLIENT_ID, CLIENT_SECRET, redirect_uri)

    def start(self, serve, host: str = "localhost") -> str:
        """Serve the provider (with ``serve``: start_server or the ``serve`` fixture) and return its
        issuer URL. ``localhost`` by default: another site than the app's 127.0.0.1 to a browser."""
        base = serve(self.app())
        self.issuer = base.replace("127.0.0.1", host)
        return self.issuer

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/.well-known/openid-configuration", self.discovery),
                                 Route("/jwks", self.jwks),
                                 Route("/authorize", self.authorize, methods=["GET", "POST"]),
                                 Route("/token", self.token, methods=["POST"])])

    async def discovery(self, request: Request) -> Response:
        return JSONResponse({"issuer": self.issuer, "authorization_endpoint": self.issuer + "/authorize",
                             "token_endpoint": self.issuer + "/token", "jwks_uri": self.issuer + "/jwks",
                             "response_types_supported": ["code"], "subject_types_supported": ["public"],
                             "id_token_signing_alg_values_supported": ["RS256"],
                             "code_challenge_methods_supported": ["S256"],
                             "token_endpoint_auth_methods_supported": ["client_secret_post"]})

    async def jwks(self, request: Request) -> Response:
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})

    async def authorize(self, request: Request) -> Response:
        if self.ask and request.method == "GET":  # the provider's own page: the person signs in there
            action = html.escape("/authorize?" + request.url.query, quote=True)
            return HTMLResponse(f'<!DOCTYPE html><html lang="sv"><title>Leverantören</title><form method="post" '
                                f'action="{action}"><button type="submit">Fortsätt</button></form></html>')
        oauth = await self._oauth_request(request)
        try:
            grant = self.server.get_consent_grant(oauth, end_user=dict(self.user))
        except OAuth2Error as error:
            return self.server.handle_error_response(oauth, error)
        return self.server.create_authorization_response(oauth, grant_user=None if self.deny else dict(self.user),
                                                         grant=grant)

    async def token(self, request: Request) -> Response:
        return self.server.create_token_response(await self._oauth_request(request))

    async def _oauth_request(self, request: Request) -> _Request:
        form = dict(parse_qsl((await request.body()).decode("utf-8"))) if request.method == "POST" else {}
        return _Request(request.method, str(request.url), dict(request.headers), dict(request.query_params), form)

    def _server(self) -> AuthorizationServer:
        provider = self

        class Server(AuthorizationServer):
            def query_client(self, client_id: str) -> Client | None:
                return provider.clients.get(client_id)

            def save_token(self, token: dict, request: OAuth2Request) -> None:
                pass

            def create_oauth2_request(self, request: _Request) -> _Request:
                return request

            def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Response:
                if isinstance(body, dict):
                    return JSONResponse(body, status_code=status, headers=dict(headers))
                return RedirectResponse(dict(headers)["Location"], status_code=status)

            def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
                pass

        class Grant(AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_post"]

            def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
                provider.codes[code] = Code(code, request.client.get_client_id(), request.payload.redirect_uri,
                                            request.payload.scope, request.user, request.payload.data.get("nonce"),
                                            request.payload.data.get("code_challenge"),
                                            request.payload.data.get("code_challenge_method"))

            def query_authorization_code(self, code: str, client: Client) -> Code | None:
                found = provider.codes.get(code)
                return found if found and found.client_id == client.get_client_id() else None

            def delete_authorization_code(self, authorization_code: Code) -> None:
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code: Code) -> dict[str, Any]:
                return authorization_code.user

        class OpenID(OpenIDCode):
            def resolve_client_private_key(self, client: Client) -> RSAKey:
                return provider.other_key if provider.forge else provider.key

            def get_client_claims(self, client: Client) -> dict[str, Any]:
                claims = {"iss": provider.issuer, "aud": [client.get_client_id()]}
                if provider.expired:
                    now = int(time.time())
                    claims.update(iat=now - 7200, exp=now - 3600)
                return claims

            def get_encode_header(self, client: Client) -> dict[str, str]:
                return {"alg": "RS256", "kid": "test-key"}

            def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
                return False

            def generate_user_info(self, user: dict[str, Any], scope: str) -> dict[str, Any]:
                return dict(user)

        server = Server()
        server.register_token_generator("default", BearerTokenGenerator(lambda **_: generate_token(42)))
        server.register_grant(Grant, [CodeChallenge(required=True), OpenID(require_nonce=True)])
        return server

