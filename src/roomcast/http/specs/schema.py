"""Small builders of JSON Schema fragments shared by the OpenAPI and AsyncAPI documents."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    """A reference to ``#/components/schemas/<name>``."""
    return {"$ref": f"#/components/schemas/{name}"}


def closed(properties: Schema, required: list[str], description: str = "") -> Schema:
    """An object schema that allows no keys but ``properties``."""
    schema: Schema = {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def json_content(schema: Schema, description: str) -> Schema:
    """An OpenAPI request or response body of JSON with ``schema``."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}
