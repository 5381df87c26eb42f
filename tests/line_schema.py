"""Check a message the bot sends against LINE's own OpenAPI description (messaging-api.yml).

jsonschema alone would pass almost anything here: LINE's schemas choose their subtypes by an
OpenAPI `discriminator` (a Flex component's `type` picks FlexBox, FlexText, ...), which JSON
Schema does not know. So this walks the message itself: it follows `$ref`, picks the subtype a
discriminator names, merges `allOf`, and checks required properties, types, enums, lengths,
array sizes, and that every property the message has is one LINE describes (a typo such as
`colour` fails). LINE's further rules that the YAML only states in prose are checked by the
callers (altText and label lengths).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

SPEC_FILE = "messaging-api.yml"


def spec_path() -> Path:
    """Where the YAML is: a copy in tests/data/line-openapi (LINE's, with its licence), so the
    tests need nothing outside the repository."""
    return Path(__file__).resolve().parent / "data" / "line-openapi" / SPEC_FILE


@cache
def _schemas() -> dict:
    with spec_path().open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)["components"]["schemas"]


def problems(instance, schema_name: str = "Message") -> list[str]:
    """What is wrong with `instance` as a `schema_name` (empty when it is valid)."""
    found: list[str] = []
    _check(instance, {"$ref": f"#/components/schemas/{schema_name}"}, "$", found, False)
    return found


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = _schemas()[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _merged(schema: dict) -> tuple[dict, set, dict]:
    """Properties, required names and other keywords, through allOf."""
    schema = _resolve(schema)
    properties = dict(schema.get("properties") or {})
    required = set(schema.get("required") or ())
    rest = {k: v for k, v in schema.items() if k not in ("properties", "required", "allOf")}
    for part in schema.get("allOf") or ():
        more, needed, other = _merged(part)
        properties.update(more)
        required |= needed
        for key, value in other.items():
            rest.setdefault(key, value)
    return properties, required, rest


_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "integer": int,
    "number": (int, float),
}


def _check(instance, schema: dict, path: str, found: list[str], dispatched: bool) -> None:
    schema = _resolve(schema)
    discriminator = schema.get("discriminator")
    if discriminator and not dispatched and isinstance(instance, dict):
        tag = instance.get(discriminator["propertyName"])
        target = (discriminator.get("mapping") or {}).get(tag)
        if target is None:
            found.append(f"{path}: unknown {discriminator['propertyName']} {tag!r}")
            return
        _check(instance, {"$ref": target}, path, found, True)
        return
    properties, required, rest = _merged(schema)
    expected = rest.get("type") or ("object" if properties else None)
    if expected in _TYPES:
        kind = _TYPES[expected]
        if not isinstance(instance, kind) or (expected != "boolean" and isinstance(instance, bool)):
            found.append(f"{path}: expected {expected}, got {type(instance).__name__}")
            return
    if "enum" in rest and instance not in rest["enum"]:
        found.append(f"{path}: {instance!r} is not one of {rest['enum']}")
    if isinstance(instance, str):
        if "maxLength" in rest and len(instance) > rest["maxLength"]:
            found.append(f"{path}: longer than {rest['maxLength']}")
        if "minLength" in rest and len(instance) < rest["minLength"]:
            found.append(f"{path}: shorter than {rest['minLength']}")
    if isinstance(instance, list):
        if "maxItems" in rest and len(instance) > rest["maxItems"]:
            found.append(f"{path}: more than {rest['maxItems']} items")
        if "minItems" in rest and len(instance) < rest["minItems"]:
            found.append(f"{path}: fewer than {rest['minItems']} items")
        for index, item in enumerate(instance):
            _check(item, rest.get("items") or {}, f"{path}[{index}]", found, False)
    if isinstance(instance, dict) and (properties or required):
        for name in sorted(required - instance.keys()):
            found.append(f"{path}: {name} is required")
        for name, value in instance.items():
            if name not in properties:
                found.append(f"{path}: LINE describes no property {name!r}")
                continue
            _check(value, properties[name], f"{path}.{name}", found, False)
