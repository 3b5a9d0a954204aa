"""The OpenAPI 3.1 document of the REST API, served at ``/api/openapi.json``.

The component schemas are the JSON Schemas of the body Structs of ``http.bodies`` (msgspec
exports them, JSON Schema 2020-12, the dialect of OpenAPI 3.1); the paths come from the table in
``specs.paths``. Limits come from ``roomcast.wire.protocol`` and the server's settings; a
schemathesis run against a live server checks that every answer matches this document.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Final

import msgspec

from roomcast import __version__
from roomcast.http import bodies
from roomcast.http.specs.paths import OPERATIONS, Operation
from roomcast.http.specs.schema import Schema, ref
from roomcast.ops.config import Settings

REF_TEMPLATE: Final = "#/components/schemas/{name}"  # where msgspec points its references

INFO: Final = {
    "title": "roomcast REST API",
    "version": __version__,
    "description": (
        "Rooms, members and history of a roomcast chat server, and publishing from "
        'outside. Errors are {"error": {"code", "message"}}. Writes need '
        "`Authorization: Bearer <api key>` (setting api_key, or the key the server "
        "generates in its data directory). The WebSocket protocol is described by the "
        "AsyncAPI document at /api/asyncapi.json."
    ),
    "license": {"name": "MIT", "identifier": "MIT"},
}

TAGS: Final = [
    {"name": "rooms", "description": "Rooms, members and history"},
    {"name": "publish", "description": "Messages from outside (API key)"},
    {"name": "operations", "description": "Health, readiness, metrics and documents"},
    {"name": "accounts", "description": "Accounts, sessions and API tokens"},
    {"name": "moderation", "description": "Room access, moderation and the audit log"},
    {"name": "files", "description": "Files shared in rooms: uploads and serving"},
    {"name": "admin", "description": "The server admin page (server admins only)"},
]

# Each error status: the name of its shared response, and what it means.
ERROR_RESPONSES: Final = {
    400: ("BadRequest", "The request is malformed or breaks a limit"),
    401: ("Unauthorized", "Missing or wrong API key"),
    403: ("Forbidden", "The caller may not do this"),
    404: ("NotFound", "No such room"),
    409: ("Conflict", "The name or room is taken"),
    413: ("TooLarge", "The body is over the size limit"),
    416: ("RangeNotSatisfiable", "The Range asks for bytes past the end"),
    429: ("TooManyRequests", "Too many attempts; see Retry-After"),
    503: ("Unavailable", "The store or the broker is unavailable, or shutting down"),
}

SECURITY_SCHEMES: Final = {
    "apiKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "The server's API key (setting api_key / ROOMCAST_API_KEY)",
    },
    "sessionCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": "roomcast_session",
        "description": "The session cookie set by /api/login (HttpOnly, SameSite=Lax)",
    },
    "guestSession": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Roomcast-Session",
        "description": "A guest's chat session: the Session of its Status frame",
    },
}

SECURITY: Final[dict[str, list[dict[str, list[str]]]]] = {
    "apiKey": [{"apiKey": []}],
    "user": [{"apiKey": []}, {"sessionCookie": []}],
    "uploader": [{"apiKey": []}, {"sessionCookie": []}, {"guestSession": []}],
}

# The bodies whose text is limited by the setting max_text_chars.
_TEXT_BODIES: Final = ("NewMessage", "Broadcast")


def _schema_of(body: type[bodies.Body] | Schema) -> Schema:
    if isinstance(body, dict):
        return body
    return ref(body.__name__)


def _json(schema: Schema, description: str, media_type: str = "application/json") -> Schema:
    return {"description": description, "content": {media_type: {"schema": schema}}}


def _operation(op: Operation) -> Schema:
    answer = (
        {"description": op.answer_description}
        if op.answer is None
        else _json(_schema_of(op.answer), op.answer_description, op.media_type)
    )
    responses = {str(op.status): answer}
    for status, description in op.more_answers:
        responses[str(status)] = {"description": description}
    if op.answer is not None:
        for status, description in op.same_body:
            responses[str(status)] = _json(_schema_of(op.answer), description, op.media_type)
    for status in op.errors:
        responses[str(status)] = {"$ref": f"#/components/responses/{ERROR_RESPONSES[status][0]}"}
    operation: Schema = {"operationId": op.operation_id, "tags": [op.tag], "summary": op.summary}
    if op.description:
        operation["description"] = op.description
    if op.security:
        operation["security"] = SECURITY[op.security]
    if op.parameters:
        operation["parameters"] = list(op.parameters)
    if op.request is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _schema_of(op.request)}},
        }
    elif op.request_content is not None:
        operation["requestBody"] = {"required": True, "content": op.request_content}
    operation["responses"] = responses
    return operation


@cache
def _struct_schemas() -> dict[str, Schema]:
    """The schemas of every body the paths name (10 ms to work out: done once)."""
    structs = {bodies.Error} | {
        body for op in OPERATIONS for body in (op.answer, op.request) if isinstance(body, type)
    }
    _, schemas = msgspec.json.schema_components(
        sorted(structs, key=lambda struct: struct.__name__), ref_template=REF_TEMPLATE
    )
    schemas["RoomName"] = msgspec.json.schema(bodies.RoomName)
    return schemas


def _schemas(settings: Settings) -> dict[str, Schema]:
    """The body schemas with this server's text limit (copies: the cached ones stay as they are)."""
    schemas = dict(_struct_schemas())
    for name in _TEXT_BODIES:
        schema = schemas[name]
        text = {**schema["properties"]["text"], "maxLength": settings.max_text_chars}
        schemas[name] = {**schema, "properties": {**schema["properties"], "text": text}}
    return schemas


def openapi_document(settings: Settings) -> dict[str, Any]:
    """The OpenAPI 3.1 document for a server with ``settings``."""
    paths: dict[str, Schema] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": INFO,
        "servers": [{"url": "/", "description": "This server"}],
        "tags": TAGS,
        "paths": paths,
        "components": {
            "schemas": _schemas(settings),
            "responses": {
                name: _json(ref("Error"), description)
                for name, description in ERROR_RESPONSES.values()
            },
            "securitySchemes": SECURITY_SCHEMES,
        },
    }
