"""The OpenAPI 3.1 document of the REST API, served at ``/api/openapi.json``.

Schemas are JSON Schema 2020-12 (the dialect of OpenAPI 3.1). Limits come from
``roomcast.wire.protocol`` and the server's settings; a schemathesis run against a live server
checks that every answer matches this document.
"""

from __future__ import annotations

from typing import Any, Final

from roomcast import __version__
from roomcast.http.specs.openapi_access import ACCESS_ERROR_CODES, add_access
from roomcast.http.specs.schema import Schema
from roomcast.http.specs.schema import closed as _closed
from roomcast.http.specs.schema import json_content as _json
from roomcast.http.specs.schema import ref as _ref
from roomcast.ops.config import Settings
from roomcast.wire import protocol

_MAX_ID: Final = 2**63 - 1

ERROR_CODES: Final = {
    "bad_json": "the body is not a JSON object",
    "bad_field": "a field has the wrong type",
    "missing_field": "a required field is missing",
    "unknown_field": "the body has a field the endpoint does not know",
    "bad_param": "a query parameter is not an integer in range",
    "room_invalid": "the room name breaks the naming rules",
    "empty_message": "the text is empty or only white space",
    "too_long": "the text is over max_text_chars",
    "bad_text": "the text contains a control character",
    "nick_invalid": "the author breaks the nickname rules",
    "nick_reserved": "the author is a reserved nickname",
    "unauthorized": "the Authorization header is missing or has the wrong API key",
    "room_not_found": "no such room (never created, no messages, no members)",
    "not_found": "no such endpoint",
    "method_not_allowed": "the endpoint does not take this method",
    "too_large": "the body is over the size limit",
    "store_unavailable": "the message store cannot be reached",
    "broker_unavailable": "the broker connection is down",
    "shutting_down": "the server is shutting down",
    "internal": "a server bug",
    **ACCESS_ERROR_CODES,
}


def _error(description: str) -> Schema:
    return {"$ref": f"#/components/responses/{description}"}


def _schemas(settings: Settings) -> dict[str, Schema]:
    return {
        "RoomName": {
            "type": "string",
            "minLength": 1,
            "maxLength": protocol.MAX_ROOM_CHARS,
            "description": (
                "1-64 letters or digits of any script, '_', '.' or '-', starting with a letter, "
                "digit or '_'; NFC-normalised, case-sensitive"
            ),
            "examples": ["lobby"],
        },
        "Message": _closed(
            {
                "id": {"type": "integer", "minimum": 1, "maximum": _MAX_ID},
                "room": _ref("RoomName"),
                "author": {"type": "string", "minLength": 1},
                "text": {"type": "string"},
                "wsid": {
                    "type": "string",
                    "description": "The sending connection's ID; 'system' for server messages",
                },
                "time": {"type": "string", "format": "date-time"},
            },
            ["id", "room", "author", "text", "wsid", "time"],
            "A stored chat message. id is its position in the room.",
        ),
        "Room": _closed(
            {
                "name": _ref("RoomName"),
                "topic": {"type": "string", "description": "Empty when none is set"},
                "members": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "Connections in the room now, across every node",
                },
                "last_id": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "ID of the newest message; 0 when none",
                },
            },
            ["name", "topic", "members", "last_id"],
        ),
        "RoomList": _closed(
            {"rooms": {"type": "array", "items": _ref("Room")}},
            ["rooms"],
            "Every room that exists (created, with history or with members), by name.",
        ),
        "MemberList": _closed(
            {
                "room": _ref("RoomName"),
                "members": {
                    "type": "array",
                    "items": _closed({"name": {"type": "string"}}, ["name"]),
                },
            },
            ["room", "members"],
            "The nicknames in the room, sorted case-insensitively.",
        ),
        "MessagePage": _closed(
            {
                "room": _ref("RoomName"),
                "messages": {"type": "array", "items": _ref("Message")},
                "next_before": {
                    "type": ["integer", "null"],
                    "minimum": 1,
                    "description": (
                        "Pass as before= to get the next (older) page; null on the last page"
                    ),
                },
            },
            ["room", "messages", "next_before"],
            "A page of history, newest first.",
        ),
        "NewMessage": _closed(
            {
                "text": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": settings.max_text_chars,
                    "description": "Not blank; no control characters but tab and newline",
                },
                "author": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": protocol.MAX_NICK_CHARS,
                    "default": "system",
                    "description": "A valid nickname, or 'system' (the default)",
                },
            },
            ["text"],
        ),
        "Broadcast": _closed(
            {"text": {"type": "string", "minLength": 1, "maxLength": settings.max_text_chars}},
            ["text"],
        ),
        "BroadcastResult": _closed(
            {"messages": {"type": "array", "items": _ref("Message")}},
            ["messages"],
            "One stored message per room the broadcast reached.",
        ),
        "Error": _closed(
            {
                "error": _closed(
                    {
                        "code": {
                            "type": "string",
                            "description": "Stable code: "
                            + "; ".join(f"{k}: {v}" for k, v in ERROR_CODES.items()),
                        },
                        "message": {"type": "string", "description": "For humans; may change"},
                    },
                    ["code", "message"],
                )
            },
            ["error"],
        ),
        "Health": _closed(
            {"status": {"const": "ok"}, "version": {"type": "string"}}, ["status", "version"]
        ),
        "Ready": _closed({"status": {"const": "ready"}}, ["status"]),
    }


def _room_param() -> Schema:
    return {
        "name": "room",
        "in": "path",
        "required": True,
        "schema": _ref("RoomName"),
    }


def openapi_document(settings: Settings) -> dict[str, Any]:
    """The OpenAPI 3.1 document for a server with ``settings``."""
    any_object = {"type": "object"}
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
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
        },
        "servers": [{"url": "/", "description": "This server"}],
        "tags": [
            {"name": "rooms", "description": "Rooms, members and history"},
            {"name": "publish", "description": "Messages from outside (API key)"},
            {"name": "operations", "description": "Health, readiness, metrics and documents"},
        ],
        "paths": {
            "/api/rooms": {
                "get": {
                    "operationId": "listRooms",
                    "tags": ["rooms"],
                    "summary": "List rooms with their member counts and topics",
                    "responses": {
                        "200": _json(_ref("RoomList"), "The rooms"),
                        "503": _error("Unavailable"),
                    },
                }
            },
            "/api/rooms/{room}": {
                "parameters": [_room_param()],
                "get": {
                    "operationId": "getRoom",
                    "tags": ["rooms"],
                    "summary": "One room's details",
                    "responses": {
                        "200": _json(_ref("Room"), "The room"),
                        "400": _error("BadRequest"),
                        "404": _error("NotFound"),
                        "503": _error("Unavailable"),
                    },
                },
            },
            "/api/rooms/{room}/members": {
                "parameters": [_room_param()],
                "get": {
                    "operationId": "listMembers",
                    "tags": ["rooms"],
                    "summary": "Who is in the room now",
                    "responses": {
                        "200": _json(_ref("MemberList"), "The members"),
                        "400": _error("BadRequest"),
                        "404": _error("NotFound"),
                        "503": _error("Unavailable"),
                    },
                },
            },
            "/api/rooms/{room}/messages": {
                "parameters": [_room_param()],
                "get": {
                    "operationId": "listMessages",
                    "tags": ["rooms"],
                    "summary": "A page of history, newest first",
                    "description": (
                        "Cursors are message IDs, so pages are stable while new messages arrive: "
                        "follow next_before until it is null."
                    ),
                    "parameters": [
                        {
                            "name": "before",
                            "in": "query",
                            "description": "Only messages with a smaller ID (exclusive)",
                            "schema": {"type": "integer", "minimum": 1, "maximum": _MAX_ID},
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "description": "Page size",
                            "schema": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": protocol.MAX_HISTORY_LIMIT,
                                "default": protocol.DEFAULT_HISTORY_LIMIT,
                            },
                        },
                    ],
                    "responses": {
                        "200": _json(_ref("MessagePage"), "The page"),
                        "400": _error("BadRequest"),
                        "404": _error("NotFound"),
                        "503": _error("Unavailable"),
                    },
                },
                "post": {
                    "operationId": "postMessage",
                    "tags": ["publish"],
                    "summary": "Store a message and deliver it to the room's members",
                    "security": [{"apiKey": []}],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("NewMessage")}},
                    },
                    "responses": {
                        "201": _json(_ref("Message"), "The stored message"),
                        "400": _error("BadRequest"),
                        "401": _error("Unauthorized"),
                        "413": _error("TooLarge"),
                        "503": _error("Unavailable"),
                    },
                },
            },
            "/api/broadcast": {
                "post": {
                    "operationId": "broadcast",
                    "tags": ["publish"],
                    "summary": "Post a system message to every room",
                    "security": [{"apiKey": []}],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("Broadcast")}},
                    },
                    "responses": {
                        "201": _json(_ref("BroadcastResult"), "The stored messages"),
                        "400": _error("BadRequest"),
                        "401": _error("Unauthorized"),
                        "413": _error("TooLarge"),
                        "503": _error("Unavailable"),
                    },
                }
            },
            "/api/openapi.json": {
                "get": {
                    "operationId": "getOpenAPI",
                    "tags": ["operations"],
                    "summary": "This document",
                    "responses": {"200": _json(any_object, "OpenAPI 3.1")},
                }
            },
            "/api/asyncapi.json": {
                "get": {
                    "operationId": "getAsyncAPI",
                    "tags": ["operations"],
                    "summary": "The WebSocket protocol as an AsyncAPI 3 document",
                    "responses": {"200": _json(any_object, "AsyncAPI 3.0")},
                }
            },
            "/healthz": {
                "get": {
                    "operationId": "health",
                    "tags": ["operations"],
                    "summary": "Liveness: the process answers",
                    "responses": {"200": _json(_ref("Health"), "Alive")},
                }
            },
            "/readyz": {
                "get": {
                    "operationId": "ready",
                    "tags": ["operations"],
                    "summary": "Readiness: the store and the broker are reachable",
                    "responses": {
                        "200": _json(_ref("Ready"), "Ready to serve"),
                        "503": _error("Unavailable"),
                    },
                }
            },
            "/metrics": {
                "get": {
                    "operationId": "metrics",
                    "tags": ["operations"],
                    "summary": "Prometheus metrics of this node (text format 0.0.4)",
                    "responses": {
                        "200": {
                            "description": "The metrics",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        }
                    },
                }
            },
        },
        "components": {
            "schemas": _schemas(settings),
            "responses": {
                name: _json(_ref("Error"), description)
                for name, description in (
                    ("BadRequest", "The request is malformed or breaks a limit"),
                    ("Unauthorized", "Missing or wrong API key"),
                    ("NotFound", "No such room"),
                    ("TooLarge", "The body is over the size limit"),
                    ("Unavailable", "The store or the broker is unavailable, or shutting down"),
                )
            },
            "securitySchemes": {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The server's API key (setting api_key / ROOMCAST_API_KEY)",
                }
            },
        },
    }
    add_access(document, settings)
    return document
