"""Form bodies read as UTF-8, strictly.

Starlette decodes url-encoded form bodies as Latin-1 (a raw ``curl -d "description=Klotter på
bänken"`` was stored as mojibake) and silently falls back to Latin-1 for multipart fields that
are not valid UTF-8. :class:`StrictFormRoute` parses a form before FastAPI reads its fields:
url-encoded bodies, raw or percent-encoded, and multipart text fields must be valid UTF-8 or the
request is refused (422 naming the field); nothing is replaced or guessed. File parts are
spooled to disk past 1 MB, as Starlette does.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.datastructures import FormData
from starlette.formparsers import MultiPartException, MultiPartParser

from geo.errors import Message, ValidationError
from geo.text import decode_utf8

FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


class _StrictMultiPartParser(MultiPartParser):
    """Starlette's multipart parser, with text fields decoded as UTF-8 or refused."""

    def on_part_end(self) -> None:
        if self._current_part.file is None:
            self.items.append((self._current_part.field_name,
                               decode_utf8(bytes(self._current_part.data), self._current_part.field_name)))
        else:
            super().on_part_end()


async def read_form(request: Request) -> FormData:
    """The request's form, parsed strictly (see the module), and kept as the request's form."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == FORM:
        body = await request.body()
        try:
            pairs = parse_qsl(decode_utf8(body, "form"), keep_blank_values=True, encoding="utf-8", errors="strict")
        except UnicodeDecodeError as exc:
            raise ValidationError(Message("a percent-encoded value is not valid UTF-8 (byte {start})", start=exc.start),
                                  field="form") from None
        form = FormData(pairs)
    elif kind == MULTIPART:
        try:
            form = await _StrictMultiPartParser(request.headers, request.stream()).parse()
        except MultiPartException as exc:
            raise ValidationError(exc.message, field="form") from None
    else:
        return await request.form()
    request._form = form  # FastAPI reads the fields from here
    return form


class StrictFormRoute(APIRoute):
    """A route whose form body is read by :func:`read_form` before its fields are."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            if request.headers.get("content-type", "").split(";")[0].strip().lower() in (FORM, MULTIPART):
                await read_form(request)
            return await handler(request)

        return strict
