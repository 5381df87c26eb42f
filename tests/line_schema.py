"""Check a message against LINE's Messaging API OpenAPI schema (../shared/line-openapi).

A small checker of what the schema says about the objects the bot builds: required
properties, property types, enums, string lengths, and `type` discriminators (the mapping or
the subschema whose allOf names the parent); unknown properties are reported too, so a typo
in a key does not pass as "optional".
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

SPEC = Path(__file__).resolve().parents[3] / "shared" / "line-openapi" / "messaging-api.yml"


@cache
def _schemas() -> dict:
    candidates = [SPEC, Path("/work/shared/line-openapi/messaging-api.yml")]
    path = next(p for p in candidates if p.exists())
    return yaml.safe_load(path.read_text(encoding="utf-8"))["components"]["schemas"]


def _ref(ref: str) -> tuple[str, dict]:
    name = ref.rsplit("/", 1)[-1]
    return name, _schemas()[name]


def _flatten(schema: dict) -> tuple[dict, set, dict | None]:
    """(properties, required, discriminator) of a schema with its allOf parents."""
    properties = dict(schema.get("properties") or {})
    required = set(schema.get("required") or [])
    discriminator = schema.get("discriminator")
    for part in schema.get("allOf") or []:
        if "$ref" in part:
            _name, part = _ref(part["$ref"])
        props, req, disc = _flatten(part)
        properties = {**props, **properties}
        required |= req
        discriminator = discriminator or disc
    return properties, required, discriminator


def _subtype(name: str, schema: dict, value: str) -> tuple[str, dict] | None:
    _props, _req, disc = _flatten(schema)
    if not disc:
        return None
    mapping = disc.get("mapping") or {}
    if value in mapping:
        return _ref(mapping[value])
    return None


def problems(value, schema_name: str, where: str = "$") -> list[str]:
    """What is wrong with `value` as a `schema_name` (empty: nothing)."""
    return _check(value, _schemas()[schema_name], schema_name, where)


def _check(value, schema: dict, name: str, where: str) -> list[str]:
    if "$ref" in schema:
        name, schema = _ref(schema["$ref"])
    kind = schema.get("type")
    found: list[str] = []
    if kind == "string" or "enum" in schema:
        if not isinstance(value, str):
            return [f"{where}: not a string"]
        if "enum" in schema and value not in schema["enum"]:
            found.append(f"{where}: {value!r} not one of {schema['enum']}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            found.append(f"{where}: longer than {schema['maxLength']}")
        if "minLength" in schema and len(value) < schema["minLength"]:
            found.append(f"{where}: shorter than {schema['minLength']}")
        return found
    if kind == "integer":
        return [] if isinstance(value, int) else [f"{where}: not an integer"]
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{where}: not a boolean"]
    if kind == "array":
        if not isinstance(value, list):
            return [f"{where}: not a list"]
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            found.append(f"{where}: more than {schema['maxItems']} items")
        for i, item in enumerate(value):
            found += _check(item, schema.get("items") or {}, name, f"{where}[{i}]")
        return found
    if not isinstance(value, dict):
        return [f"{where}: not an object"]
    properties, required, disc = _flatten(schema)
    if disc and isinstance(value.get(disc["propertyName"]), str):
        sub = _subtype(name, schema, value[disc["propertyName"]])
        if sub is None:
            return [f"{where}: unknown {name} type {value[disc['propertyName']]!r}"]
        if sub[1] is not schema:
            return _check(value, sub[1], sub[0], where)
    for key in sorted(required - set(value)):
        found.append(f"{where}: {name} lacks {key!r}")
    for key, item in value.items():
        if key not in properties:
            found.append(f"{where}: {name} has no property {key!r}")
            continue
        found += _check(item, properties[key], name, f"{where}.{key}")
    return found
