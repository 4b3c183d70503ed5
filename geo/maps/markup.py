"""folium pages in which no data ever becomes template source.

branca (folium's page model) renders each element's template and then wraps the *rendered text*
in a new ``Element(text)``, which compiles that text as a Jinja template again when the page is
rendered. So a ``{{ 7*7 }}`` in a zone name showed 49 on the maps, ``{{ cycler.__init__… }}`` in
a query parameter ran Python on the server, and ``{% if %}`` crashed the build; HTML escaping does
not help, because Jinja's delimiters are not HTML.

Importing this module (``geo.maps`` does) makes an ``Element`` built from a string hold that
string as finished markup, written out as it is and never compiled — which is all branca and
folium build such elements for. The project's own page elements (:class:`TextBox`,
:class:`Legend`, :class:`Refit`) have fixed templates and take their text as data, escaped on
output. Subclasses of ``Element`` with their own templates are unchanged.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import folium
from branca.element import Element, MacroElement
from jinja2 import Template

_element_init = Element.__init__
_element_render = Element.render


def _markup_init(self: Element, template: str | None = None, template_name: str | None = None) -> None:
    if type(self) is Element and template is not None:
        _element_init(self, template_name=template_name)
        self._markup = template
    else:
        _element_init(self, template, template_name)


def _markup_render(self: Element, **kwargs) -> str:
    markup = self.__dict__.get("_markup")
    return markup if markup is not None else _element_render(self, **kwargs)


Element.__init__ = _markup_init
Element.render = _markup_render


def markup(text: str) -> Element:
    """An element that writes ``text`` (finished HTML made by the program, never data) as it is."""
    return Element(text)


_BOX_STYLE = "position:fixed;z-index:9999;background:white;border-radius:6px;font:14px sans-serif"


class TextBox(MacroElement):
    """A box fixed on the map page (a title), its text escaped."""

    _template = Template("""{% macro html(this, kwargs) %}<div id="{{ this.element_id|e }}" style="{{ this.style }};
top:calc(var(--site-header-h, 0px) + 10px);left:60px;padding:6px 10px">{{ this.text|e }}</div>{% endmacro %}""")

    def __init__(self, text: str, element_id: str = "map-title") -> None:
        super().__init__()
        self._name = "TextBox"
        self.text, self.element_id, self.style = text, element_id, _BOX_STYLE


class Legend(MacroElement):
    """A legend box (bottom left): a title, rows of (CSS colour, label) and an optional note, all
    escaped."""

    _template = Template("""{% macro html(this, kwargs) %}<div id="{{ this.element_id|e }}" class="map-legend"
style="{{ this.style }};bottom:24px;left:12px;padding:8px 12px;font-size:13px;max-width:280px;box-shadow:0 1px 4px rgba(0,0,0,.3)">
<strong>{{ this.title|e }}</strong><ul style="list-style:none;margin:4px 0;padding:0">
{% for colour, label in this.rows %}<li><span style="display:inline-block;width:14px;height:10px;margin-right:6px;
border:1px solid #999;background:{{ colour|e }}"></span>{{ label|e }}</li>{% endfor %}</ul>
{% if this.note %}<p style="margin:4px 0"><small>{{ this.note|e }}</small></p>{% endif %}</div>{% endmacro %}""")

    def __init__(self, title: str, rows: list[tuple[str, str]], element_id: str = "legend", note: str = "") -> None:
        super().__init__()
        self._name = "Legend"
        self.title, self.rows, self.element_id, self.note, self.style = title, rows, element_id, note, _BOX_STYLE


class MetricScale(MacroElement):
    """Leaflet's scale bar in metres and kilometres only (folium's ``control_scale`` adds feet and miles too)."""

    _template = Template("""{% macro script(this, kwargs) %}
L.control.scale({imperial: false, metric: true}).addTo({{ this._parent.get_name() }});
{% endmacro %}""")

    def __init__(self) -> None:
        super().__init__()
        self._name = "MetricScale"


class PhoneToggles(MacroElement):
    """On a narrow screen (a phone) the layer list and the legend (``.map-legend``) are hidden
    behind two buttons that show and hide them (``aria-expanded``), so the map stays visible."""

    _template = Template("""{% macro header(this, kwargs) %}<style>
.phone-toggles { display: none; }
@media (max-width: 600px) {
  .phone-toggles { display: flex; gap: 6px; position: fixed; z-index: 10000; right: 8px; bottom: 24px; }
  .phone-toggles button { min-height: 44px; padding: 0 12px; font: 15px sans-serif; background: #fff; color: #1a1a1a;
                          border: 1px solid #555; border-radius: 6px; box-shadow: 0 1px 4px rgba(0,0,0,.3); }
  body:not(.show-layers) .leaflet-control-layers { display: none; }
  body:not(.show-legend) .map-legend { display: none; }
  .map-legend { max-height: 50vh; overflow-y: auto; }
}
</style>{% endmacro %}
{% macro html(this, kwargs) %}<div class="phone-toggles">
<button type="button" data-shows="show-layers" aria-expanded="false">Lager</button>
<button type="button" data-shows="show-legend" aria-expanded="false">Teckenförklaring</button>
</div>{% endmacro %}
{% macro script(this, kwargs) %}
document.querySelectorAll(".phone-toggles button").forEach(function (button) {
  button.addEventListener("click", function () {
    var shown = document.body.classList.toggle(button.dataset.shows);
    button.setAttribute("aria-expanded", String(shown));
  });
});
{% endmacro %}""")

    def __init__(self) -> None:
        super().__init__()
        self._name = "PhoneToggles"


class Refit(MacroElement):
    """Fit the map to ``bounds`` ([[south, west], [north, east]]) again whenever its frame changes
    size, until the reader moves the map: embedded in another page (an iframe of the yearly
    report), a map may start before its frame has its final size, so its first fit is wrong."""

    _template = Template("""{% macro script(this, kwargs) %}
window.addEventListener("load", function () {
  var map = {{ this._parent.get_name() }}, bounds = {{ this.bounds|tojson }}, touched = false;
  ["mousedown", "wheel", "touchstart", "keydown"].forEach(function (name) {
    map.getContainer().addEventListener(name, function () { touched = true; }, {passive: true});
  });
  var refit = function () {
    var size = map.invalidateSize().getSize();
    if (!touched && size.x > 0 && size.y > 0 && map.getZoom() !== map.getBoundsZoom(bounds)) map.fitBounds(bounds);
  };
  refit();
  new ResizeObserver(refit).observe(map.getContainer());
});
{% endmacro %}""")

    def __init__(self, bounds: list[list[float]]) -> None:
        super().__init__()
        self._name = "Refit"
        self.bounds = [[float(v) for v in corner] for corner in bounds]


class MapPage(NamedTuple):
    """A map as an HTML page, and the inline scripts the program wrote into it."""

    html: str
    scripts: list[str]


_PAGE = Template("""<!DOCTYPE html>
<html lang="sv">
<head>
<meta charset="utf-8">
<title>{{ title|e }}</title>
{{ header }}
</head>
<body>
{{ body }}
</body>
<script>{{ script }}</script>
</html>
""")


_FOLIUM_VIEWPORT = re.compile(r'<meta name="viewport"[^>]*>')
_VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'
"""folium's viewport forbids zooming the page (``user-scalable=no``), which people who need larger
text cannot do without (WCAG 1.4.4); pages use this one instead."""


def page_html(fmap: folium.Map, title: str) -> MapPage:
    """The map as an HTML page titled ``title`` (escaped), assembled from its parts as branca's
    page does, and the texts of the inline scripts the program wrote: those of the head (folium's
    settings, an inlined Leaflet) and the map's script, in which data is JSON with ``<`` escaped.
    The page may be zoomed (:data:`_VIEWPORT`).
    Data shown as text lands in the body (escaped); a script there is not the program's, so a
    Content-Security-Policy built from these texts would not let it run."""
    root = fmap.get_root()
    for child in root._children.values():
        child.render()
    header, body, script = root.header.render(), root.html.render(), root.script.render()
    header = _FOLIUM_VIEWPORT.sub(_VIEWPORT, header)
    html = _PAGE.render(title=title, header=header, body=body, script=script)
    return MapPage(html, _head_scripts(header) + [script])


def _head_scripts(header: str) -> list[str]:
    """The inline scripts of the page's head, which holds only what the program wrote (folium's
    settings, links, styles and an inlined Leaflet; never data)."""
    parts = re.split(r"(?i)<script(?![^>]*\bsrc=)[^>]*>", header)[1:]
    return [part[:part.lower().index("</script")] for part in parts]
