"""The OpenAPI document as the service really answers: bearer tokens declared, the JSON answers
with the models of :mod:`service.responses`, and every error answer documented with the body it
has (:class:`service.errors.ErrorBody`, or Open311's error list on /open311/ paths, as XML on
their ``.xml`` paths) — including 422, whose body is ours, not FastAPI's default."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from service.errors import ErrorBody, OGCException, Open311ErrorItem
from service.georeport import FORMATS, format_of
from service.limits import WHAT_IFS

ALWAYS = {401: "A malformed, unknown, expired or revoked token (a bad token is refused everywhere).",
          413: "The request body is larger than this address accepts.",
          503: "The database's write lock is held by another writer (code ``unavailable``), or the service is "
               "working on as many requests as it takes (code ``overloaded``); try again after Retry-After seconds."}
WITH_INPUT = {422: "A parameter or the body is not valid; ``detail`` says which and why."}
WITH_BODY = {400: "The body cannot be parsed (not JSON, not a form)."}
WITH_PATH = {404: "No such resource."}
BY_OPERATION = {
    ("get", "/api/layers/{layer}"): {403: "Raw patrol tracks are for police tokens."},
    **{("get", f"/ogc/collections/{{collection_id}}{tail}"): {403: "The patrols are for police tokens."}
       for tail in ("", "/queryables", "/items", "/items/{feature_id}")},
    ("get", "/maps/police"): {403: "The police map is for police tokens."},
    ("get", "/api/reports/{report_id}/photo"): {403: "Photos are for staff tokens."},
    ("patch", "/api/reports/{report_id}"): {403: "Reports are changed by municipality tokens.",
                                            409: "The report's current state does not allow the move; ``current`` has it."},
    ("post", "/api/reports/{report_id}/moderation"): {
        403: "Reports are moderated by municipality staff (a session's change needs its CSRF token: code ``csrf``).",
        409: "The report's moderation already is what the action asks; ``current`` has its flags."},
    ("get", "/api/reports/{report_id}/moderation"): {403: "A report's moderation is for staff."},
    ("post", "/api/reports/{report_id}/merge"): {
        403: "Reports are merged by municipality tokens.",
        409: "Either report is closed already (merged ones too); ``current`` has its id and status."},
    ("post", "/api/removal-rounds"): {403: "Rounds are recorded by municipality tokens.",
                                      409: "The same round (date, category, zones) is recorded; ``current`` has its id."},
    ("post", "/api/promises/{year}/{promise_id}/status"): {403: "The role may not record this promise's status."},
    ("post", "/api/patrols"): {403: "Uploads are for police tokens."},
    ("post", "/api/survey"): {403: "Surveys are imported by municipality tokens."},
    ("get", "/api/survey"): {404: "No survey is stored (for the year asked); ``detail`` names the years there are."},
    ("post", "/api/events"): {403: "Events are added by municipality tokens.",
                              409: "An event with the id is stored; ``current`` has its id and name."},
    ("delete", "/api/events/{event_id}"): {403: "Events are removed by municipality tokens."},
    ("post", "/api/reports"): {429: "Too many reports from this address; try again after Retry-After seconds."},
    **{("post", f"/open311/v2/requests.{fmt}"): {
        403: "api_key not recognised.",
        429: "Too many requests from this address; try again after Retry-After seconds."} for fmt in FORMATS},
    **{(method.lower(), path): {429: "Too many what-ifs from this address (STADSKARNA_WHAT_IF_RATE_LIMIT a minute); "
                                     "try again after Retry-After seconds."} for method, path in WHAT_IFS},
}
"""Errors particular to an operation, beyond the ones every operation can answer."""


def _ogc(path: str) -> bool:
    """Whether ``path`` is one of OGC API's (/ogc)."""
    return path == "/ogc" or path.startswith("/ogc/")


def _error_response(description: str, path: str, page: bool) -> dict:
    """An error answer: JSON (Open311's list on its paths, in XML on its ``.xml`` paths; OGC API's
    exception on its), or for a page also the page itself."""
    if path.startswith("/open311/") and format_of(path) == "xml":
        return {"description": description, "content": {"text/xml": {"schema": {"type": "string"}}}}
    schema = ({"type": "array", "items": {"$ref": "#/components/schemas/Open311ErrorItem"}}
              if path.startswith("/open311/") else {"$ref": "#/components/schemas/OGCException"} if _ogc(path)
              else {"$ref": "#/components/schemas/ErrorBody"})
    content = {"application/json": {"schema": schema}} | ({"text/html": {"schema": {"type": "string"}}} if page else {})
    return {"description": description, "content": content}


def _documented(schema: dict) -> dict:
    """A success answer's schema as its model (:mod:`service.responses`) documents it: FastAPI
    merges the route's ``-> dict`` / ``-> list[dict]`` return annotation into the model's ``$ref``
    (``type``, ``additionalProperties``, ``title``), which says nothing the model does not."""
    if "$ref" in schema:
        return {"$ref": schema["$ref"]}
    items = schema.get("items", {})
    if schema.get("type") == "array" and "$ref" in items:
        return {"type": "array", "items": {"$ref": items["$ref"]}}
    return schema


def openapi_schema(app: FastAPI) -> dict:
    """The app's OpenAPI document (built once), with auth and error answers documented."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {})["bearer"] = {
        "type": "http", "scheme": "bearer",
        "description": "A token from `stadskarna token create`; anonymous callers use the public endpoints."}
    schemas = components.setdefault("schemas", {})
    schemas["ErrorBody"] = ErrorBody.model_json_schema()
    schemas["Open311ErrorItem"] = Open311ErrorItem.model_json_schema()
    schemas["OGCException"] = OGCException.model_json_schema()
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for path, operations in schema["paths"].items():
        open311 = path.startswith("/open311/")
        ogc = _ogc(path)
        for method, operation in operations.items():
            operation["security"] = [{}, {"bearer": []}]
            errors = dict(ALWAYS)
            if operation.get("parameters") or operation.get("requestBody"):
                errors |= WITH_INPUT
            if operation.get("requestBody"):
                errors |= WITH_BODY
            if "{" in path:
                errors |= WITH_PATH
            errors |= BY_OPERATION.get((method, path), {})
            responses = operation.setdefault("responses", {})
            for status, response in responses.items():
                if status.startswith("2"):
                    for content in response.get("content", {}).values():
                        if "schema" in content:
                            content["schema"] = _documented(content["schema"])
            page = "text/html" in responses.get("200", {}).get("content", {})
            if open311:  # Open311 answers every invalid request 400, never FastAPI's 422
                responses.pop("422", None)
            for status, description in sorted(errors.items()):
                if (open311 or ogc) and status == 422:
                    status, description = 400, "The request is not valid; the description says why."
                responses[str(status)] = _error_response(description, path, page)
    app.openapi_schema = schema
    return schema
