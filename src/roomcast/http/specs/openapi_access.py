"""The identity and moderation part of the OpenAPI document (``roomcast.http.api_access``).

``add_access`` puts its paths, schemas, responses and security schemes into the document that
``openapi.openapi_document`` builds, so the whole REST API is one document and schemathesis
fuzzes these endpoints like the others.
"""

from __future__ import annotations

from typing import Any, Final

from roomcast.auth.identity import MAX_LABEL_CHARS, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS
from roomcast.http.specs.schema import Schema
from roomcast.http.specs.schema import closed as _closed
from roomcast.http.specs.schema import json_content as _json
from roomcast.http.specs.schema import ref as _ref
from roomcast.ops.config import Settings
from roomcast.wire import protocol

ACCESS_ERROR_CODES: Final = {
    "bad_credentials": "wrong name or password",
    "bad_token": "the API token or JWT is not valid",
    "token_expired": "the JWT has expired",
    "login_required": "the call needs a signed-in account",
    "weak_password": f"a password has {MIN_PASSWORD_CHARS}-{MAX_PASSWORD_CHARS} characters",
    "registration_closed": "the server does not take new accounts (allow_registration)",
    "nick_taken": "the name is in use by a connection right now",
    "nick_registered": "the name (or one that looks like it) belongs to an account",
    "forbidden": "the caller's role in the room does not allow this",
    "origin_not_allowed": "a write with the session cookie came from another site's page",
    "room_exists": "the room exists already",
    "rate_limited": "too many login attempts from this address; see Retry-After",
}

_USER_AUTH: Final[list[dict[str, list[str]]]] = [{"apiKey": []}, {"sessionCookie": []}]


def _errors(*statuses: int) -> dict[str, Schema]:
    names = {
        400: "BadRequest",
        401: "Unauthorized",
        403: "Forbidden",
        404: "NotFound",
        409: "Conflict",
        413: "TooLarge",
        429: "TooManyRequests",
        503: "Unavailable",
    }
    return {str(s): {"$ref": f"#/components/responses/{names[s]}"} for s in statuses}


def _body(schema: str) -> Schema:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


def _room_param() -> Schema:
    return {"name": "room", "in": "path", "required": True, "schema": _ref("RoomName")}


def _schemas() -> dict[str, Schema]:
    name = {"type": "string", "minLength": 1, "maxLength": protocol.MAX_NICK_CHARS}
    time = {"type": "string", "format": "date-time"}
    maybe_time = {"type": ["string", "null"], "format": "date-time"}
    token_properties: Schema = {
        "id": {"type": "string", "description": "Names the token when it is revoked"},
        "label": {"type": "string"},
        "created": time,
    }
    return {
        "Credentials": _closed(
            {
                "name": name,
                "password": {
                    "type": "string",
                    "minLength": MIN_PASSWORD_CHARS,
                    "maxLength": MAX_PASSWORD_CHARS,
                },
            },
            ["name", "password"],
        ),
        "Registration": _closed(
            {
                "name": {**name, "description": "A valid nickname, free and not reserved"},
                "password": {
                    "type": "string",
                    "minLength": MIN_PASSWORD_CHARS,
                    "maxLength": MAX_PASSWORD_CHARS,
                },
                "session": {
                    "type": "string",
                    "description": "The WebSocket Session of the caller: lets it register the "
                    "nickname its own connection holds",
                },
            },
            ["name", "password"],
        ),
        "Me": _closed(
            {
                "name": {"type": ["string", "null"], "description": "null for a guest"},
                "admin": {"type": "boolean"},
                "via": {"enum": ["guest", "session", "token", "jwt", "api_key"]},
            },
            ["name", "admin", "via"],
        ),
        "NewToken": _closed(
            {"label": {"type": "string", "maxLength": MAX_LABEL_CHARS}},
            [],
        ),
        "Token": _closed(token_properties, ["id", "label", "created"]),
        "CreatedToken": _closed(
            {
                **token_properties,
                "token": {"type": "string", "description": "The secret: shown this once only"},
            },
            ["id", "label", "created", "token"],
        ),
        "TokenList": _closed({"tokens": {"type": "array", "items": _ref("Token")}}, ["tokens"]),
        "NewRoom": _closed(
            {
                "room": _ref("RoomName"),
                "private": {"type": "boolean", "default": False},
                "topic": {"type": "string", "maxLength": protocol.MAX_TOPIC_CHARS},
            },
            ["room"],
        ),
        "RoomAccess": _closed(
            {
                "name": _ref("RoomName"),
                "topic": {"type": "string"},
                "private": {"type": "boolean"},
                "owner": {"type": ["string", "null"]},
                "moderators": {"type": "array", "items": {"type": "string"}},
                "members": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Invited accounts (private rooms)",
                },
                "role": {"enum": ["admin", "owner", "moderator", "member", "none"]},
            },
            ["name", "topic", "private", "owner", "moderators", "members", "role"],
        ),
        "Topic": _closed(
            {"topic": {"type": "string", "maxLength": protocol.MAX_TOPIC_CHARS}}, ["topic"]
        ),
        "RoleChange": _closed({"role": {"enum": list(protocol.ROLES)}}, ["role"]),
        "Moderation": _closed(
            {
                "action": {"enum": list(protocol.MODERATION_ACTIONS)},
                "name": {"type": "string", "minLength": 1},
                "duration": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": protocol.MAX_SANCTION_SECONDS,
                    "description": "Seconds a ban or mute lasts; absent: until lifted",
                },
                "reason": {"type": "string", "maxLength": protocol.MAX_REASON_CHARS},
            },
            ["action", "name"],
        ),
        "ModerationResult": _closed(
            {
                "action": {"enum": list(protocol.MODERATION_ACTIONS)},
                "room": _ref("RoomName"),
                "name": {"type": "string"},
                "until": maybe_time,
            },
            ["action", "room", "name", "until"],
        ),
        "SanctionList": _closed(
            {
                "room": _ref("RoomName"),
                "sanctions": {
                    "type": "array",
                    "items": _closed(
                        {
                            "id": {"type": "integer"},
                            "kind": {"enum": ["ban", "mute"]},
                            "name": {"type": "string"},
                            "account": {"type": "boolean"},
                            "until": maybe_time,
                            "by": {"type": "string"},
                            "reason": {"type": "string"},
                            "created": time,
                            "ip": {
                                "type": ["string", "null"],
                                "description": "Only for admins: the guest's address",
                            },
                        },
                        ["id", "kind", "name", "account", "until", "by", "reason", "created"],
                    ),
                },
            },
            ["room", "sanctions"],
        ),
        "AuditLog": _closed(
            {
                "entries": {
                    "type": "array",
                    "items": _closed(
                        {
                            "time": time,
                            "actor": {"type": "string"},
                            "action": {"type": "string"},
                            "room": {"type": "string"},
                            "target": {"type": "string"},
                            "detail": {"type": "string"},
                        },
                        ["time", "actor", "action", "room", "target", "detail"],
                    ),
                }
            },
            ["entries"],
            "Moderation actions, newest first.",
        ),
    }


def _paths() -> dict[str, Schema]:
    no_content = {"description": "Done"}
    return {
        "/api/register": {
            "post": {
                "operationId": "register",
                "tags": ["accounts"],
                "summary": "Create an account and sign in (sets the session cookie)",
                "requestBody": _body("Registration"),
                "responses": {
                    "201": _json(_ref("Me"), "Signed in as the new account"),
                    **_errors(400, 403, 409, 413, 429, 503),
                },
            }
        },
        "/api/login": {
            "post": {
                "operationId": "login",
                "tags": ["accounts"],
                "summary": "Sign in: sets the HttpOnly session cookie",
                "requestBody": _body("Credentials"),
                "responses": {
                    "200": _json(_ref("Me"), "Signed in"),
                    **_errors(400, 401, 413, 429, 503),
                },
            }
        },
        "/api/logout": {
            "post": {
                "operationId": "logout",
                "tags": ["accounts"],
                "summary": "End this session; its WebSocket connections close with 4003",
                "responses": {"204": no_content, **_errors(401, 403, 503)},
            }
        },
        "/api/me": {
            "get": {
                "operationId": "me",
                "tags": ["accounts"],
                "summary": "Who the caller is",
                "responses": {"200": _json(_ref("Me"), "The caller"), **_errors(401, 503)},
            }
        },
        "/api/tokens": {
            "get": {
                "operationId": "listTokens",
                "tags": ["accounts"],
                "summary": "The caller's API tokens (without their secrets)",
                "security": _USER_AUTH,
                "responses": {
                    "200": _json(_ref("TokenList"), "The tokens"),
                    **_errors(401, 503),
                },
            },
            "post": {
                "operationId": "createToken",
                "tags": ["accounts"],
                "summary": "Create an API token for a bot; the secret is shown once",
                "security": _USER_AUTH,
                "requestBody": _body("NewToken"),
                "responses": {
                    "201": _json(_ref("CreatedToken"), "The new token"),
                    **_errors(400, 401, 403, 413, 503),
                },
            },
        },
        "/api/tokens/{token}": {
            "parameters": [
                {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "delete": {
                "operationId": "revokeToken",
                "tags": ["accounts"],
                "summary": "Revoke a token; its connections close with 4003",
                "security": _USER_AUTH,
                "responses": {"204": no_content, **_errors(401, 403, 404, 503)},
            },
        },
        "/api/rooms/{room}/access": {
            "parameters": [_room_param()],
            "get": {
                "operationId": "getRoomAccess",
                "tags": ["moderation"],
                "summary": "Owner, moderators, invited members, privacy, and the caller's role",
                "responses": {
                    "200": _json(_ref("RoomAccess"), "The room's access"),
                    **_errors(400, 401, 404, 503),
                },
            },
        },
        "/api/rooms/{room}/topic": {
            "parameters": [_room_param()],
            "put": {
                "operationId": "setTopic",
                "tags": ["moderation"],
                "summary": "Set the topic (moderators)",
                "security": _USER_AUTH,
                "requestBody": _body("Topic"),
                "responses": {
                    "200": _json(_ref("RoomAccess"), "The room"),
                    **_errors(400, 401, 403, 404, 413, 503),
                },
            },
        },
        "/api/rooms/{room}/roles/{name}": {
            "parameters": [
                _room_param(),
                {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}},
            ],
            "put": {
                "operationId": "setRole",
                "tags": ["moderation"],
                "summary": "Make an account a moderator (owner) or invited member, or neither",
                "security": _USER_AUTH,
                "requestBody": _body("RoleChange"),
                "responses": {
                    "200": _json(_ref("RoomAccess"), "The room"),
                    **_errors(400, 401, 403, 404, 413, 503),
                },
            },
        },
        "/api/rooms/{room}/moderation": {
            "parameters": [_room_param()],
            "post": {
                "operationId": "moderate",
                "tags": ["moderation"],
                "summary": "Kick, ban, unban, mute or unmute someone (moderators)",
                "security": _USER_AUTH,
                "requestBody": _body("Moderation"),
                "responses": {
                    "200": _json(_ref("ModerationResult"), "Done"),
                    **_errors(400, 401, 403, 404, 413, 503),
                },
            },
        },
        "/api/rooms/{room}/messages/{id}": {
            "parameters": [
                _room_param(),
                {
                    "name": "id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
                },
            ],
            "delete": {
                "operationId": "deleteMessage",
                "tags": ["moderation"],
                "summary": "Delete a message for everyone, history included (moderators)",
                "security": _USER_AUTH,
                "responses": {"204": no_content, **_errors(400, 401, 403, 404, 503)},
            },
        },
        "/api/rooms/{room}/sanctions": {
            "parameters": [_room_param()],
            "get": {
                "operationId": "listSanctions",
                "tags": ["moderation"],
                "summary": "Bans and mutes in force (moderators)",
                "security": _USER_AUTH,
                "responses": {
                    "200": _json(_ref("SanctionList"), "The sanctions"),
                    **_errors(400, 401, 403, 503),
                },
            },
        },
        "/api/audit": {
            "get": {
                "operationId": "auditLog",
                "tags": ["moderation"],
                "summary": "The moderation audit log: of a room (its moderators) or all (admins)",
                "security": _USER_AUTH,
                "parameters": [
                    {"name": "room", "in": "query", "schema": _ref("RoomName")},
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 500},
                    },
                ],
                "responses": {
                    "200": _json(_ref("AuditLog"), "The entries"),
                    **_errors(400, 401, 403, 503),
                },
            }
        },
    }


def add_access(document: dict[str, Any], settings: Settings) -> None:
    """Add the identity and moderation endpoints to the OpenAPI ``document``."""
    document["tags"] += [
        {"name": "accounts", "description": "Accounts, sessions and API tokens"},
        {"name": "moderation", "description": "Room access, moderation and the audit log"},
    ]
    document["paths"].update(_paths())
    document["paths"]["/api/rooms"]["post"] = {
        "operationId": "createRoom",
        "tags": ["moderation"],
        "summary": "Create a room owned by the caller's account, public or private",
        "security": _USER_AUTH,
        "requestBody": _body("NewRoom"),
        "responses": {
            "201": _json(_ref("RoomAccess"), "The new room"),
            **_errors(400, 401, 403, 409, 413, 503),
        },
    }
    components = document["components"]
    components["schemas"].update(_schemas())
    components["responses"].update(
        {
            name: _json(_ref("Error"), description)
            for name, description in (
                ("Forbidden", "The caller may not do this"),
                ("Conflict", "The name or room is taken"),
                ("TooManyRequests", "Too many attempts; see Retry-After"),
            )
        }
    )
    components["securitySchemes"]["sessionCookie"] = {
        "type": "apiKey",
        "in": "cookie",
        "name": "roomcast_session",
        "description": "The session cookie set by /api/login (HttpOnly, SameSite=Lax)",
    }
