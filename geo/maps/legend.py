"""Map legends: a small fixed box of colour swatches with escaped labels."""

from __future__ import annotations

from html import escape

import folium


def legend(title: str, rows: list[tuple[str, str]], element_id: str = "legend") -> folium.Element:
    """A legend box (bottom left) with ``rows`` of (CSS colour, label)."""
    items = "".join(f'<div><span style="display:inline-block;width:14px;height:10px;background:{colour};'
                    f'margin-right:6px;border:1px solid #999"></span>{escape(label)}</div>' for colour, label in rows)
    return folium.Element(
        f'<div id="{element_id}" style="position:fixed;bottom:24px;left:12px;z-index:9999;background:white;'
        f'padding:8px 12px;border-radius:6px;font:13px sans-serif;max-width:280px">'
        f"<strong>{escape(title)}</strong>{items}</div>")
