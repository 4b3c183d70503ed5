"""Staff sign-in with an OpenID Connect provider (Microsoft Entra ID and others): the authorization
code flow with PKCE, ``state`` and ``nonce`` (authlib's client), and the ID token's signature and
claims (``iss``, ``aud``, ``exp``, ``nonce``, ``azp``) checked against the provider's published
keys (authlib's claims over joserfc, its JOSE library). The provider's metadata and keys are
fetched when first needed and kept; the keys again once when a token is signed with a key not
among them (the provider rotated its keys). Nothing here is called unless an issuer is set."""

from __future__ import annotations

import threading
from typing import Any

import requests
from authlib.common.security import generate_token, is_secure_transport
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from geo.errors import ValidationError
from service.settings import OidcSettings
from service.staff import SSO_NAME_PATTERN

ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
"""The signature algorithms an ID token may use (asymmetric only: never ``none`` or a shared secret)."""
LEEWAY_S = 60
"""How far the provider's clock and ours may differ when ``exp`` and ``iat`` are checked."""
FALLBACK_NAME_CLAIMS = ("email", "sub")
"""The claims that name the account when the configured one is missing or unusable, in order."""


class SsoFailed(Exception):
    """A single sign-on that did not succeed: ``reason`` says which message the page shows
    (``cancelled``, ``failed``, ``unavailable``), ``detail`` is for the audit and the log only."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


class Provider:
    """The configured OpenID Connect provider: its settings, the map from claim values to roles,
    and its metadata and keys once fetched (shared by the requests of one process)."""

    def __init__(self, settings: OidcSettings, roles: dict[str, str]) -> None:
        self.settings, self.roles = settings, roles
        self.issuer = settings.issuer or ""
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._lock = threading.Lock()

    @classmethod
    def configured(cls, settings: OidcSettings, known_roles: tuple[str, ...]) -> Provider | None:
        """The provider of ``settings``, None without an issuer, or a :class:`ValidationError`
        naming the setting that is wrong."""
        if not settings.issuer:
            return None
        if not is_secure_transport(settings.issuer):
            raise ValidationError("the issuer must be an https:// URL (http only on this machine)",
                                  field="STADSKARNA_OIDC_ISSUER")
        if not settings.client_id:
            raise ValidationError("single sign-on needs the service's client id", field="STADSKARNA_OIDC_CLIENT_ID")
        try:
            roles = settings.role_map()
            unknown = sorted(set(roles.values()) - set(known_roles))
            if not roles or unknown:
                raise ValueError(f"unknown role: {', '.join(unknown)}" if unknown else "none given")
        except ValueError as exc:
            raise ValidationError(f"map claim values to the roles {', '.join(known_roles)} as value=role pairs, "
                                  f"for example polis=police,kommun=municipality ({exc})",
                                  field="STADSKARNA_OIDC_ROLES") from None
        return cls(settings, roles)

    def authorization_url(self, redirect_uri: str, state: str, nonce: str, code_verifier: str) -> str:
        """Where to send the browser to sign in (the code flow, PKCE with S256)."""
        with self._client(redirect_uri) as client:
            url, _ = client.create_authorization_url(self._endpoint("authorization_endpoint"), state=state,
                                                     code_verifier=code_verifier, nonce=nonce)
        return url

    def claims(self, code: str, redirect_uri: str, code_verifier: str, nonce: str) -> dict[str, Any]:
        """The checked claims of the ID token the provider gives for ``code``, or :class:`SsoFailed`."""
        try:
            with self._client(redirect_uri) as client:
                token = client.fetch_token(self._endpoint("token_endpoint"), code=code, code_verifier=code_verifier,
                                           timeout=self.settings.timeout_s)
        except OAuthError as exc:
            raise SsoFailed("failed", f"the token endpoint refused the code: {exc.error}") from None
        except (requests.RequestException, ValueError) as exc:
            raise SsoFailed("unavailable", f"no token from the provider: {type(exc).__name__}") from None
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise SsoFailed("failed", "the provider's answer has no ID token")
        decoded = self._decode(id_token)
        claims = CodeIDToken(decoded.claims, decoded.header,
                             options={"iss": {"essential": True, "value": self.issuer},
                                      "aud": {"essential": True, "value": self.settings.client_id}},
                             params={"nonce": nonce, "client_id": self.settings.client_id,
                                     "access_token": token.get("access_token")})
        try:
            claims.validate(leeway=LEEWAY_S)
        except JoseError as exc:
            raise SsoFailed("failed", f"the ID token's claims are not valid: {exc.error}") from None
        return dict(claims)

    def role(self, claims: dict[str, Any]) -> str | None:
        """The service's role for the claims: the first pair of ``STADSKARNA_OIDC_ROLES`` whose
        value the role claim holds (a list of values or one string), or None."""
        held = claims.get(self.settings.role_claim)
        values = [held] if isinstance(held, str) else held if isinstance(held, list) else []
        return next((role for value, role in self.roles.items() if value in values), None)

    def account_name(self, claims: dict[str, Any]) -> str | None:
        """The account's name: the first usable of the name claim, ``email`` and ``sub``
        (trimmed, lower case, :data:`service.staff.SSO_NAME_PATTERN`), or None."""
        for claim in (self.settings.name_claim, *FALLBACK_NAME_CLAIMS):
            value = claims.get(claim)
            if isinstance(value, str) and SSO_NAME_PATTERN.fullmatch(value.strip().lower()):
                return value.strip().lower()
        return None

    def _client(self, redirect_uri: str) -> OAuth2Session:
        return OAuth2Session(self.settings.client_id, self.settings.client_secret.get_secret_value() or None,
                             scope=self.settings.scope, redirect_uri=redirect_uri, code_challenge_method="S256",
                             token_endpoint_auth_method="client_secret_post")

    def _endpoint(self, name: str) -> str:
        """An endpoint from the provider's metadata (fetched once), or :class:`SsoFailed`."""
        with self._lock:
            if self._metadata is None:
                metadata = self._get(self.issuer.rstrip("/") + "/.well-known/openid-configuration")
                if metadata.get("issuer") != self.issuer:
                    raise SsoFailed("unavailable", "the provider's metadata names another issuer")
                self._metadata = metadata
            metadata = self._metadata
        url = metadata.get(name)
        if not isinstance(url, str) or not is_secure_transport(url):
            raise SsoFailed("unavailable", f"the provider's metadata has no usable {name}")
        return url

    def _decode(self, id_token: str) -> jwt.Token:
        """The ID token with its signature checked against the provider's keys (fetched again
        once when none of the kept ones fits), or :class:`SsoFailed`."""
        for fresh in (False, True):
            keys = self._key_set(fresh)
            try:
                return jwt.decode(id_token, keys, algorithms=list(ALGORITHMS))
            except (JoseError, ValueError) as exc:
                error = exc
        raise SsoFailed("failed", f"the ID token's signature is not valid: {type(error).__name__}")

    def _key_set(self, fresh: bool) -> KeySet:
        with self._lock:
            keys = None if fresh else self._keys
        if keys is None:
            try:
                keys = KeySet.import_key_set(self._get(self._endpoint("jwks_uri")))
            except (JoseError, ValueError, TypeError, KeyError):
                raise SsoFailed("unavailable", "the provider's keys cannot be read") from None
            with self._lock:
                self._keys = keys
        return keys

    def _get(self, url: str) -> dict[str, Any]:
        """A JSON document of the provider, or :class:`SsoFailed`."""
        try:
            answer = requests.get(url, timeout=self.settings.timeout_s, allow_redirects=False)
            answer.raise_for_status()
            document = answer.json()
        except (requests.RequestException, ValueError) as exc:
            raise SsoFailed("unavailable", f"{url} did not answer usably: {type(exc).__name__}") from None
        if not isinstance(document, dict):
            raise SsoFailed("unavailable", f"{url} did not answer a JSON object")
        return document


def new_flow_secrets() -> tuple[str, str, str]:
    """A new sign-in's flow id (also its ``state``), ``nonce`` and PKCE code verifier."""
    return generate_token(43), generate_token(43), generate_token(64)
