"""Errors a client can cause, and the one table that maps each to an HTTP status and a stable code.

Routes and services raise these (or the store's and geo's own errors); nothing answers an error
route by route. Every error body is ``{"detail": message for people, "code": stable code for
machines}`` (a conflict adds ``current``: the state it conflicts with); Open311 paths answer the
GeoReport v2 error list ``[{"code": status, "description": message}]`` instead, as XML on paths
that end in ``.xml`` (:mod:`service.georeport`). A browser asking for a page (``GET`` with
``Accept: text/html``, outside /api, /ogc and /open311) gets a page in Swedish instead, and an
anonymous visitor to a staff page is sent to sign in (303 to ``/login?next=…``). Unexpected
errors answer 500 with no internals (the log has them).

Every message is written in the request's language (:mod:`service.i18n`: Swedish unless the
client's ``Accept-Language`` prefers English; a page's always Swedish); the answer says which
(``Content-Language``) and that it depends on the header (``Vary: Accept-Language``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException
from starlette.routing import Match

from geo.errors import Message, StateConflict, ValidationError
from geo.promises import UnknownPromise
from service.forms import FORM, MULTIPART
from service.georeport import error_answer
from service.html import pages, staff_links
from service.i18n import negotiate, translate
from service.security import API_POLICY, COMMON_HEADERS, html_page
from service.store import Conflict, NotFound, Unavailable

log = logging.getLogger("stadskarna")


class ApiError(Exception):
    """An error of the web layer itself; ``headers`` go with the answer."""

    def __init__(self, message: str | Message, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.headers = headers or {}


class Unauthorized(ApiError):
    """No valid credentials: a token is needed, or the one given is unknown, expired or revoked."""

    def __init__(self, message: str | Message) -> None:
        super().__init__(message, {"WWW-Authenticate": "Bearer"})


class Forbidden(ApiError):
    """The caller's role may not do this."""


class CsrfRefused(Forbidden):
    """A change made with a session cookie that does not carry the session's CSRF token."""


class RateLimited(ApiError):
    """Too many requests from this client; try again after ``retry_after_s``."""

    def __init__(self, message: str | Message, retry_after_s: int) -> None:
        super().__init__(message, {"Retry-After": str(retry_after_s)})


class Overloaded(ApiError):
    """The service is working on as many requests as it takes at once; try again shortly."""

    def __init__(self, message: str | Message, retry_after_s: int = 1) -> None:
        super().__init__(message, {"Retry-After": str(retry_after_s)})


class NoSuchThing(ApiError):
    """A resource the service does not have (a layer, a year without promises, a photo)."""


STATUS: dict[type[Exception], tuple[int, str]] = {
    ValidationError: (422, "invalid"),
    RequestValidationError: (422, "invalid"),
    Unauthorized: (401, "unauthorized"),
    Forbidden: (403, "forbidden"),
    CsrfRefused: (403, "csrf"),
    NotFound: (404, "not_found"),
    NoSuchThing: (404, "not_found"),
    UnknownPromise: (404, "not_found"),
    StateConflict: (409, "conflict"),
    Conflict: (409, "conflict"),
    RateLimited: (429, "rate_limited"),
    Unavailable: (503, "unavailable"),
    Overloaded: (503, "overloaded"),
}
"""Exception class → (HTTP status, stable code); a subclass takes its nearest listed ancestor's entry."""

CODES_BY_STATUS = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                   405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
                   422: "invalid", 429: "rate_limited", 503: "unavailable"}
"""Codes of the framework's own errors (an unknown path, a method not allowed), by status."""


class ErrorBody(BaseModel):
    """The body of every error answer (Open311 paths excepted)."""

    model_config = ConfigDict(extra="forbid")
    detail: str = Field(description="what went wrong, for people, in the language asked for (Accept-Language: "
                                    "Swedish unless English is preferred; Content-Language says which)")
    code: str = Field(description="a stable code for programs: " + ", ".join(sorted({c for _, c in STATUS.values()}
                                                                                    | {"internal", "bad_request",
                                                                                       "method_not_allowed"})))
    current: dict | None = Field(None, description="for conflicts: the stored state the request conflicts with")
    field: str | None = Field(None, description="for invalid input: the field at fault, a stable name (`lat/lon`, "
                                                "`description`, `email`, `photo`, …) a page can explain in its language")


class OGCException(BaseModel):
    """The body of an error on an OGC API path (/ogc)."""

    code: str = Field(description="a stable code for programs (as in ErrorBody)")
    description: str = Field(description="what went wrong, for people")


class Open311ErrorItem(BaseModel):
    """One error in Open311 GeoReport v2's error list."""

    code: int
    description: str


def status_of(exc: Exception) -> tuple[int, str]:
    """(status, code) of an exception from :data:`STATUS` (its class or nearest ancestor), 500 otherwise."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500, "internal"


REQUEST_PROBLEMS: dict[str, Message] = {
    "missing": Message("required"),
    "extra_forbidden": Message("not a field of this request"),
    "string_type": Message("expected a text"),
    "string_too_short": Message("at least {min_length} characters"),
    "string_too_long": Message("at most {max_length} characters"),
    "string_pattern_mismatch": Message("not in the expected form"),
    "int_type": Message("expected a whole number"),
    "int_parsing": Message("expected a whole number"),
    "int_from_float": Message("expected a whole number"),
    "float_type": Message("expected a number"),
    "float_parsing": Message("expected a number"),
    "finite_number": Message("expected a finite number"),
    "bool_type": Message("expected true or false"),
    "bool_parsing": Message("expected true or false"),
    "greater_than": Message("must be greater than {gt}"),
    "greater_than_equal": Message("must be at least {ge}"),
    "less_than": Message("must be less than {lt}"),
    "less_than_equal": Message("must be at most {le}"),
    "literal_error": Message("expected {expected}"),
    "enum": Message("expected {expected}"),
    "too_short": Message("at least {min_length} values"),
    "too_long": Message("at most {max_length} values"),
    "list_type": Message("expected a list"),
    "dict_type": Message("expected an object"),
    "model_attributes_type": Message("expected an object"),
    "date_type": Message("expected a date as YYYY-MM-DD"),
    "date_parsing": Message("expected a date as YYYY-MM-DD"),
    "date_from_datetime_parsing": Message("expected a date as YYYY-MM-DD"),
    "datetime_parsing": Message("expected a date and time in ISO 8601"),
    "datetime_from_date_parsing": Message("expected a date and time in ISO 8601"),
    "json_invalid": Message("not valid JSON"),
    "value_error": Message("{error}"),
}
"""Pydantic's error types → the problem for people (its context fills the parameters); a type
not listed says ``invalid value`` with pydantic's English text."""


@dataclass(frozen=True)
class RequestProblems:
    """The problems of a request that failed validation, one per parameter or field (its
    location, such as ``query limit``, stays as the client wrote it), ``; ``-separated."""

    errors: list[dict]

    def render(self, gettext: Callable[[str], str], number: Callable[[float], str]) -> str:
        """The problems in the language of ``gettext``."""
        return "; ".join(f"{' '.join(str(part) for part in error['loc'])}: "
                         f"{_request_problem(error).render(gettext, number)}" for error in self.errors)


def _request_problem(error: dict) -> Message:
    """One pydantic error as a :class:`Message` from :data:`REQUEST_PROBLEMS`."""
    known = REQUEST_PROBLEMS.get(error["type"])
    if known is None:
        return Message("invalid value ({problem})", problem=error["msg"])
    context = dict(error.get("ctx") or {})
    if isinstance(context.get("error"), Exception):  # a validator's ValueError, maybe with a Message
        raised = context["error"]
        context["error"] = raised.args[0] if len(raised.args) == 1 else str(raised)
    return Message(known.template, **context)


def message_of(exc: Exception) -> str | Message | ValidationError | RequestProblems:
    """The message for people, ready to be written in a language: an invalid request's problems,
    a :class:`ValidationError` with its location, an error's :class:`Message` or text."""
    if isinstance(exc, RequestValidationError):
        return RequestProblems(list(exc.errors()))
    if isinstance(exc, ValidationError):
        return exc
    return exc.args[0] if len(exc.args) == 1 and isinstance(exc.args[0], Message) else str(exc)


PAGE_ERRORS = {
    400: ("Adressen är felaktig", "Kontrollera länken eller gå tillbaka och försök igen."),
    403: ("Sidan är inte för dig", "Sidan är för personal med en annan roll. Logga in med ett annat konto "
                                   "eller gå tillbaka."),
    404: ("Sidan finns inte", "Kontrollera adressen eller gå till startsidan."),
    405: ("Adressen är felaktig", "Sidan kan inte visas så här."),
    409: ("Något har ändrats", "Någon annan hann före. Ladda om sidan och försök igen."),
    422: ("Adressen är felaktig", "Kontrollera länken eller gå tillbaka och försök igen."),
    429: ("För många förfrågningar", "Vänta en stund och försök igen."),
    503: ("Tjänsten är upptagen", "Försök igen om en stund."),
    500: ("Något gick fel", "Felet är loggat hos oss. Försök igen senare."),
}
"""What a page in Swedish says for each status of an error (title, advice); unlisted 4xx as 400 and 5xx as 500."""
PAGE_ERRORS_BY_CODE = {
    "csrf": ("Formuläret har gått ut", "Formuläret kom inte från en sida du har öppen nu. Ladda om sidan och "
                                       "skicka det igen."),
}
"""What a page in Swedish says for an error whose code needs words of its own (before :data:`PAGE_ERRORS`)."""
_MACHINE_PATHS = ("/api/", "/ogc", "/open311/")


def wants_page(request: Request) -> bool:
    """Whether the request is a browser's for a page: ``GET`` or ``HEAD`` (or a page's form posted:
    ``POST`` of a form body), ``text/html`` accepted, and not a path of the API, OGC API or Open311
    (they answer programs in their own formats)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    browsing = request.method in ("GET", "HEAD") or (request.method == "POST" and kind in (FORM, MULTIPART))
    return (browsing and "text/html" in request.headers.get("accept", "")
            and not request.url.path.startswith(_MACHINE_PATHS))


def sign_in_first(request: Request) -> RedirectResponse:
    """303 to the sign-in page, which comes back to the page asked for (its path and query) after sign-in."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)


def error_page(request: Request, status: int, message: str, headers: dict[str, str] | None = None,
               code: str | None = None) -> Response:
    """The error as a page in Swedish (:data:`PAGE_ERRORS_BY_CODE`, :data:`PAGE_ERRORS`), with
    the site header and the message; a signed-in member's header links their pages."""
    title, advice = (PAGE_ERRORS_BY_CODE.get(code or "") or PAGE_ERRORS.get(status)
                     or PAGE_ERRORS[500 if status >= 500 else 400])
    caller = getattr(request.state, "staff", None)
    worded = status >= 500 or (code or "") in PAGE_ERRORS_BY_CODE  # no message but the page's own
    html = pages.get_template("error.html").render(title=title, advice=advice, detail="" if worded else message,
                                                   current=None, staff=staff_links(caller.role) if caller else [])
    answer = html_page(request, html, status_code=status)
    answer.headers.update({k: v for k, v in (headers or {}).items() if k.lower() != "content-security-policy"})
    return answer


def error_response(request: Request, status: int, code: str, message: str | Message | ValidationError | RequestProblems,
                   headers: dict[str, str] | None = None, current: dict | None = None,
                   field: str | None = None) -> Response:
    """The error answer, its message in the request's language: Open311's list on /open311/ paths,
    in XML on ``.xml`` paths (400 for any client error but 403, 404 and HTTP's own 401, 405, 413
    and 429; a fault of the service stays 5xx), OGC API's exception ``{"code", "description"}`` on
    /ogc paths (400 for a bad parameter), the service's body elsewhere (with the ``field`` of
    invalid input); a browser asking for a page gets :func:`error_page` (in Swedish), or
    :func:`sign_in_first` when it needs to sign in (401)."""
    if wants_page(request):
        return sign_in_first(request) if status == 401 else error_page(request, status, translate(message, "sv"),
                                                                        headers, code)
    language = negotiate(request.headers.get("accept-language"))
    message = translate(message, language)
    headers = (headers or {}) | {"Content-Language": language, "Vary": "Accept-Language"}
    if request.url.path.startswith("/open311/"):
        status = status if status in (401, 403, 404, 405, 413, 429) or status >= 500 else 400
        return error_answer(request.url.path, status, message, headers)
    if request.url.path == "/ogc" or request.url.path.startswith("/ogc/"):  # OGC API's exception, 400 for a bad parameter
        return JSONResponse({"code": code, "description": message}, status_code=400 if status == 422 else status,
                            headers=headers)
    body = {"detail": message, "code": code} | ({"current": current} if current else {}) | (
        {"field": field} if field else {})
    return JSONResponse(body, status_code=status, headers=headers)


FRAMEWORK_MESSAGES = {message.template: message for message in (
    Message("Not Found"), Message("Method Not Allowed"), Message("Bad Request"), Message("Request Entity Too Large"),
    Message("Unsupported Media Type"), Message("Unauthorized"), Message("Forbidden"))}
"""The framework's own messages (HTTP's reason phrases), to be translated like the service's."""

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(app: FastAPI, scope: dict) -> list[str]:
    """The methods the app answers on the scope's path: those for which some route matches fully,
    and HEAD wherever GET is (:mod:`service.head`)."""
    methods = [method for method in METHODS
               if any(route.matches({**scope, "method": method})[0] is Match.FULL for route in app.routes)]
    return methods + (["HEAD"] if "GET" in methods else [])


def listed_response(request: Request, exc: Exception) -> Response:
    """The answer to an error of :data:`STATUS`, with its headers (``Retry-After`` for 503)."""
    status, code = status_of(exc)
    headers = dict(getattr(exc, "headers", None) or {})
    if isinstance(exc, Unavailable):
        headers["Retry-After"] = str(exc.retry_after_s)
    return error_response(request, status, code, message_of(exc), headers or None, getattr(exc, "current", None),
                          getattr(exc, "field", None) if isinstance(exc, ValidationError) else None)


def register(app: FastAPI) -> None:
    """Answer every error through :func:`error_response`: the listed ones with their status, the
    framework's by their own status, anything else as 500 without internals."""

    async def listed(request: Request, exc: Exception) -> Response:
        return listed_response(request, exc)

    async def framework(request: Request, exc: HTTPException) -> Response:
        headers = dict(exc.headers or {})
        methods = allowed_methods(app, request.scope) if exc.status_code == 405 else []
        if methods:  # every method of the path, not only those of the first route matched (a mount has its own)
            headers["Allow"] = ", ".join(methods)
        detail = exc.detail if isinstance(exc.detail, Message) else FRAMEWORK_MESSAGES.get(str(exc.detail),
                                                                                            str(exc.detail))
        return error_response(request, exc.status_code, CODES_BY_STATUS.get(exc.status_code, "error"), detail,
                              headers or None)

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        # answered outside the middleware, so with the security headers of its own
        return error_response(request, 500, "internal", Message("internal error; the service log has the details"),
                              {**COMMON_HEADERS, "Content-Security-Policy": API_POLICY})

    for cls in STATUS:
        app.add_exception_handler(cls, listed)
    app.add_exception_handler(HTTPException, framework)
    app.add_exception_handler(Exception, unexpected)
