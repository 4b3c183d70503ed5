"""Open311 GeoReport v2's two formats: one answer as JSON or as XML, with the spec's element names
and order, chosen by the path's ending (``.xml``; anything else is JSON).

The XML is built with ElementTree from the same lists and dicts the JSON is made of, so both
have the same members in the same order: a dict's keys are elements in their order, a list's
items are elements named by :data:`ITEMS`, true/false are ``true``/``false`` and null is an empty
element. Text is never formatted into markup. XML 1.0 cannot hold a few code points (the C0
controls but TAB, LF and CR; U+FFFE, U+FFFF; lone surrogates): the rare stored text with one
shows U+FFFD there instead.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from fastapi.responses import JSONResponse, Response

FORMATS = ("json", "xml")
"""The formats every Open311 endpoint answers in, by the path's ending."""
MEDIA_TYPES = {"xml": "text/xml", "json": "application/json"}
"""The media type of each format (as discovery lists them)."""
ITEMS = {"services": "service", "service_requests": "request", "errors": "error", "attributes": "attribute",
         "values": "value", "endpoints": "endpoint", "formats": "format"}
"""GeoReport v2's element for each item of a list, by the list's element."""
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class XMLResponse(Response):
    """An XML answer (UTF-8, with its declaration)."""

    media_type = "text/xml"


def format_of(path: str) -> str:
    """The format a path asks for: ``xml`` when it ends in ``.xml``, else ``json``."""
    return "xml" if path.endswith(".xml") else "json"


def xml_document(root: str, value: list | dict) -> bytes:
    """``value`` as an XML document whose root element is ``root`` (UTF-8, with its declaration)."""
    element = ET.Element(root)
    _fill(element, value)
    return ET.tostring(element, encoding="UTF-8", xml_declaration=True)


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, list):
        for item in value:
            _fill(ET.SubElement(element, ITEMS[element.tag]), item)
    elif isinstance(value, dict):
        for key, member in value.items():
            _fill(ET.SubElement(element, key), member)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = _NOT_XML.sub("\ufffd", str(value))


def answer(path: str, root: str, value: list | dict, status_code: int = 200,
           headers: dict[str, str] | None = None) -> Response:
    """``value`` in the format ``path`` asks for; ``root`` names the XML document's root element."""
    if format_of(path) == "xml":
        return XMLResponse(xml_document(root, value), status_code=status_code, headers=headers,
                           media_type="text/xml; charset=utf-8")
    return JSONResponse(value, status_code=status_code, headers=headers)


def error_answer(path: str, status_code: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """GeoReport v2's error list (one ``{code, description}``) in the format ``path`` asks for."""
    return answer(path, "errors", [{"code": status_code, "description": message}], status_code, headers)
