"""The bokeh document a timeline page embeds, read as JSON (no bokeh needed).

bokeh's file_html puts the serialized document in one
<script type="application/json"> element; these helpers find its models and
their data columns, so tests check what the page holds, not how bokeh draws it.
"""
from __future__ import annotations

import html
import json
import re
from typing import Any


def embedded_models(page: str) -> list[dict]:
    """Every bokeh model serialized in the page: {"name", "id", "attributes"}."""
    scripts = re.findall(r'<script type="application/json" id="[^"]*">\s*(.*?)\s*</script>',
                         page, re.S)
    assert len(scripts) == 1, "expected one embedded bokeh document"
    found: list[dict] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("type") == "object" and "name" in value:
                found.append({"name": value["name"], "id": value.get("id"),
                              "attributes": value.get("attributes", {})})
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(json.loads(html.unescape(scripts[0])))
    return found


def named(models: list[dict], name: str) -> list[dict]:
    return [m for m in models if m["name"] == name]


def by_id(models: list[dict]) -> dict[str, dict]:
    """Models by id; a model serialized once in full, then by reference, keeps its full form."""
    out: dict[str, dict] = {}
    for m in models:
        if m["id"] is not None and (m["id"] not in out or m["attributes"]):
            out[m["id"]] = m
    return out


def column(data: dict, key: str) -> list:
    """A column of a ColumnDataSource's serialized `data` (lists stay lists;
    NaN is serialized as {"type": "number", "value": "nan"} and read as NaN)."""
    return [_number(v) for v in dict(data["entries"])[key]]


def columns(source: dict) -> dict[str, list]:
    data = source["attributes"]["data"]
    return {key: column(data, key) for key, _ in data["entries"]}


def _number(value: Any) -> Any:
    if isinstance(value, dict) and value.get("type") == "number":
        return float(value["value"])
    return value


def text(value: Any) -> Any:
    """A property serialized as {"type": "value", "value": x} (labels), or as is."""
    if isinstance(value, dict) and "value" in value:
        return value["value"]
    return value


def renderers_with_glyph(models: list[dict], glyph_name: str) -> list[tuple[dict, dict, dict]]:
    """(renderer, glyph, source) of every GlyphRenderer whose glyph is a `glyph_name`
    with a ColumnDataSource of its own."""
    ids = by_id(models)
    found = []
    for renderer in named(models, "GlyphRenderer"):
        glyph = ids.get(renderer["attributes"]["glyph"]["id"])
        source = ids.get(renderer["attributes"]["data_source"]["id"])
        if glyph is not None and glyph["name"] == glyph_name and source is not None \
                and "data" in source["attributes"]:
            found.append((renderer, glyph, source))
    return found
