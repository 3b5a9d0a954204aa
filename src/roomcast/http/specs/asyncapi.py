"""The AsyncAPI 3 document of the WebSocket protocol, served at ``/api/asyncapi.json``.

Every frame in both directions has a JSON Schema (draft-07 keywords only, the dialect AsyncAPI
schemas build on). Limits come from ``roomcast.wire.protocol`` and the server's settings, so the
document cannot disagree with the code about them; tests validate the frames of a live server
against these schemas, so it cannot disagree about shapes either. ``docs/protocol.md`` is the
prose version.
"""

from __future__ import annotations

from typing import Any, Final

from roomcast import __version__
from roomcast.http.specs.schema import Schema
from roomcast.http.specs.schema import ref as _ref
from roomcast.ops.config import Settings
from roomcast.wire import protocol

_MAX_ID: Final = 2**63 - 1
_MAX_INT_REF: Final = 2**53 - 1


def _frame(
    type_name: str | None,
    description: str,
    properties: Schema,
    required: list[str],
) -> Schema:
    """An object schema for one frame: closed (no keys beyond those listed)."""
    props: Schema = {}
    if type_name is not None:
        props["Type"] = {"const": type_name}
        required = ["Type", *required]
    props.update(properties)
    return {
        "type": "object",
        "description": description,
        "properties": props,
        "required": required,
        "additionalProperties": False,
    }


def _shared_schemas() -> dict[str, Schema]:
    return {
        "Ref": {
            "description": "A client's tag for a request, echoed by the answer and by errors.",
            "oneOf": [
                {"type": "string", "minLength": 1, "maxLength": protocol.MAX_REF_CHARS},
                {"type": "integer", "minimum": 0, "maximum": _MAX_INT_REF},
            ],
        },
        "Base64Text": {
            "type": "string",
            "description": (
                "base64 of the UTF-8 bytes of a text (the tutorial's encoding of every Message)"
            ),
            "contentEncoding": "base64",
            "pattern": "^[A-Za-z0-9+/]*={0,2}$",
        },
        "RoomName": {
            "type": "string",
            "description": (
                "1-64 letters or digits of any script, '_', '.' or '-', starting with a letter, "
                "digit or '_'; NFC-normalised, case-sensitive"
            ),
            "minLength": 1,
            "maxLength": protocol.MAX_ROOM_CHARS,
        },
        "Nickname": {
            "type": "string",
            "description": "1-32 characters after NFC normalisation; unique case-insensitively",
            "minLength": 1,
            "maxLength": protocol.MAX_NICK_CHARS,
        },
        "MessageID": {
            "type": "integer",
            "description": "A message's position in its room: per room, strictly increasing",
            "minimum": 1,
            "maximum": _MAX_ID,
        },
        "ErrorCode": {
            "type": "string",
            "description": "Stable machine-readable error code",
            "enum": [code.value for code in protocol.ErrorCode],
        },
    }


def _server_frames() -> dict[str, Schema]:
    ref = _ref("Ref")
    chat = _frame(
        "Chat",
        "One message of a room, to every member of that room (the sender included).",
        {
            "Message": _ref("Base64Text"),
            "Author": {"type": "string", "minLength": 1},
            "Room": _ref("RoomName"),
            "WSID": {
                "type": "string",
                "description": "The sending connection's ID; 'system' for server messages",
            },
            "Sent": {
                "type": "string",
                "description": "UTC time in the tutorial's format",
                "pattern": r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$",
            },
            "ID": _ref("MessageID"),
            "Time": {
                "type": "string",
                "format": "date-time",
                "description": "ISO 8601 UTC with milliseconds",
                "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$",
            },
        },
        ["Message", "Author", "Room", "WSID", "Sent", "ID", "Time"],
    )
    return {
        "StatusFrame": _frame(
            "Status",
            "The first frame of every connection.",
            {
                "WSID": {"type": "string", "description": "This connection's ID"},
                "Message": _ref("Base64Text"),
                "Nick": _ref("Nickname"),
                "Room": _ref("RoomName"),
                "Session": {
                    "type": "string",
                    "description": "Secret; present it as session= when reconnecting",
                    "minLength": 16,
                    "maxLength": 64,
                },
                "Version": {"type": "string"},
                "User": {
                    "type": "string",
                    "description": "The account this connection is signed in as (absent: guest)",
                },
                "Admin": {"const": True, "description": "The account is a server admin"},
            },
            ["WSID", "Message", "Nick", "Room", "Session", "Version"],
        ),
        "ChatFrame": chat,
        "UserlistFrame": _frame(
            "userlist",
            "The members of a room, sorted case-insensitively, after every change (coalesced).",
            {
                "Room": _ref("RoomName"),
                "Users": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"Name": _ref("Nickname")},
                        "required": ["Name"],
                        "additionalProperties": False,
                    },
                },
            },
            ["Room", "Users"],
        ),
        "PresenceFrame": _frame(
            "Presence",
            "The diff form of userlist (connect with userlist=diff): who joined and who left.",
            {
                "Room": _ref("RoomName"),
                "Joined": {"type": "array", "items": _ref("Nickname")},
                "Left": {"type": "array", "items": _ref("Nickname")},
            },
            ["Room", "Joined", "Left"],
        ),
        "NickFrame": _frame(
            "Nick",
            "Confirms a nickname change of this connection.",
            {"Name": _ref("Nickname"), "Old": _ref("Nickname"), "Ref": ref},
            ["Name", "Old"],
        ),
        "JoinedFrame": _frame(
            "Joined",
            "Answers a Join (and the URL's first room), before that room's backlog.",
            {
                "Room": _ref("RoomName"),
                "LastID": {"type": "integer", "minimum": 0, "maximum": _MAX_ID},
                "Backlog": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "How many Chat frames of history follow before live ones",
                },
                "Truncated": {
                    "const": True,
                    "description": "The replay after Since stopped at resume_limit messages",
                },
                "Ref": ref,
            },
            ["Room", "LastID", "Backlog"],
        ),
        "LeftFrame": _frame(
            "Left", "Confirms a Leave.", {"Room": _ref("RoomName"), "Ref": ref}, ["Room"]
        ),
        "HistoryFrame": _frame(
            "History",
            "A page of messages, oldest first; More says whether older ones exist.",
            {
                "Room": _ref("RoomName"),
                "Messages": {"type": "array", "items": _ref("ChatFrame")},
                "More": {"type": "boolean"},
                "Ref": ref,
            },
            ["Room", "Messages", "More"],
        ),
        "AckFrame": _frame(
            "Ack",
            "The line with this Ref is durably stored as message ID of Room.",
            {"Ref": ref, "ID": _ref("MessageID"), "Room": _ref("RoomName")},
            ["Ref", "ID", "Room"],
        ),
        "ErrorFrame": _frame(
            "Error",
            "Something the client sent could not be done; the connection stays open.",
            {
                "Code": _ref("ErrorCode"),
                "Message": {"type": "string"},
                "RetryAfter": {
                    "type": "number",
                    "minimum": 0,
                    "description": "With rate_limited: seconds to wait before trying again",
                },
                "Ref": ref,
            },
            ["Code", "Message"],
        ),
        "PongFrame": _frame(
            "Pong",
            "Answers Ping with the server's clock in milliseconds since the Unix epoch.",
            {"Time": {"type": "integer", "minimum": 0}, "Ref": ref},
            ["Time"],
        ),
        **_moderation_frames(),
    }


def _moderation_frames() -> dict[str, Schema]:
    ref = _ref("Ref")
    until = {
        "type": "string",
        "format": "date-time",
        "description": "ISO 8601 UTC; absent: until lifted",
    }
    return {
        "RoomFrame": _frame(
            "Room",
            "A room's settings and the receiver's role there: after Joined, and on every change.",
            {
                "Room": _ref("RoomName"),
                "Topic": {"type": "string", "maxLength": protocol.MAX_TOPIC_CHARS},
                "Private": {"type": "boolean", "description": "Invite-only"},
                "Owner": {"type": "string", "description": "The owner's account name"},
                "Moderators": {"type": "array", "items": {"type": "string"}},
                "Role": {"enum": ["admin", "owner", "moderator", "member", "none"]},
                "Ref": ref,
            },
            ["Room", "Topic", "Private", "Moderators", "Role"],
        ),
        "DeletedFrame": _frame(
            "Deleted",
            "A moderator deleted message ID of Room: remove it; it is gone from history too.",
            {"Room": _ref("RoomName"), "ID": _ref("MessageID")},
            ["Room", "ID"],
        ),
        "KickedFrame": _frame(
            "Kicked",
            "This connection was taken out of Room by a moderator (Banned: for a ban).",
            {
                "Room": _ref("RoomName"),
                "By": {"type": "string"},
                "Reason": {"type": "string"},
                "Banned": {"type": "boolean"},
                "Until": until,
            },
            ["Room", "By", "Reason", "Banned"],
        ),
        "ModeratedFrame": _frame(
            "Moderated",
            "Confirms a moderation command to the moderator who gave it.",
            {
                "Action": {"enum": [*protocol.MODERATION_ACTIONS, "delete"]},
                "Room": _ref("RoomName"),
                "Name": {"type": "string"},
                "ID": _ref("MessageID"),
                "Until": until,
                "Ref": ref,
            },
            ["Action", "Room"],
        ),
    }


def _moderation_commands() -> dict[str, Schema]:
    ref = _ref("Ref")
    name = {"type": "string", "minLength": 1, "description": "A nickname or account name"}
    reason = {"type": "string", "maxLength": protocol.MAX_REASON_CHARS}
    commands: dict[str, Schema] = {
        "CreateCommand": _frame(
            "Create",
            "Create a room owned by the signed-in account; Private makes it invite-only.",
            {
                "Room": _ref("RoomName"),
                "Private": {"type": "boolean", "default": False},
                "Topic": {"type": "string", "maxLength": protocol.MAX_TOPIC_CHARS},
                "Ref": ref,
            },
            ["Room"],
        ),
        "TopicCommand": _frame(
            "Topic",
            "Set the room's topic (moderators).",
            {
                "Room": _ref("RoomName"),
                "Topic": {"type": "string", "maxLength": protocol.MAX_TOPIC_CHARS},
                "Ref": ref,
            },
            ["Room", "Topic"],
        ),
        "RoleCommand": _frame(
            "Role",
            "Make an account a moderator (owner) or an invited member (moderators), or neither.",
            {
                "Room": _ref("RoomName"),
                "Name": name,
                "Role": {"enum": list(protocol.ROLES)},
                "Ref": ref,
            },
            ["Room", "Name", "Role"],
        ),
        "DeleteCommand": _frame(
            "Delete",
            "Delete a message for everyone, history included (moderators).",
            {"Room": _ref("RoomName"), "ID": _ref("MessageID"), "Ref": ref},
            ["Room", "ID"],
        ),
    }
    for action in protocol.MODERATION_ACTIONS:
        kind = action.capitalize()
        properties: Schema = {"Room": _ref("RoomName"), "Name": name, "Reason": reason}
        if action in ("ban", "mute"):
            properties["Duration"] = {
                "type": "integer",
                "minimum": 1,
                "maximum": protocol.MAX_SANCTION_SECONDS,
                "description": "Seconds; absent: until lifted",
            }
        properties["Ref"] = ref
        commands[f"{kind}Command"] = _frame(
            kind, f"{kind} someone in a room (moderators).", properties, ["Room", "Name"]
        )
    return commands


def _client_frames(settings: Settings) -> dict[str, Schema]:
    ref = _ref("Ref")
    return {
        "ChatLine": _frame(
            None,
            "A chat line, in the tutorial's format: no Type (or Type Chat).",
            {
                "Type": {"const": "Chat"},
                "Message": {
                    "allOf": [_ref("Base64Text")],
                    "description": (
                        f"base64 of the text: at most {settings.max_text_chars} characters, "
                        "not blank, no control characters but tab and newline"
                    ),
                },
                "Author": {
                    "type": "string",
                    "description": "The tutorial's way of naming oneself; a new one renames",
                },
                "Room": _ref("RoomName"),
                "Ref": ref,
            },
            ["Message"],
        ),
        "NickCommand": _frame(
            "Nick",
            "Change this connection's nickname.",
            {"Name": {"type": "string"}, "Ref": ref},
            ["Name"],
        ),
        "JoinCommand": _frame(
            "Join",
            "Join a room; with Since, replay exactly the messages after that ID first.",
            {
                "Room": _ref("RoomName"),
                "Since": {"type": "integer", "minimum": 0, "maximum": _MAX_ID},
                "Ref": ref,
            },
            ["Room"],
        ),
        "LeaveCommand": _frame(
            "Leave", "Leave a room.", {"Room": _ref("RoomName"), "Ref": ref}, ["Room"]
        ),
        "HistoryCommand": _frame(
            "History",
            "Ask for a page of older messages (Before is exclusive; newest page without it).",
            {
                "Room": _ref("RoomName"),
                "Before": {"type": "integer", "minimum": 1, "maximum": _MAX_ID},
                "Limit": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": protocol.MAX_HISTORY_LIMIT,
                    "default": protocol.DEFAULT_HISTORY_LIMIT,
                },
                "Ref": ref,
            },
            [],
        ),
        "PingCommand": _frame("Ping", "Application-level ping.", {"Ref": ref}, []),
        **_moderation_commands(),
    }


# (message key, schema name, title) in the order the protocol document lists them.
SERVER_MESSAGES: Final = (
    ("Status", "StatusFrame", "Connection status"),
    ("Joined", "JoinedFrame", "Joined a room"),
    ("Chat", "ChatFrame", "Chat message"),
    ("userlist", "UserlistFrame", "User list"),
    ("Presence", "PresenceFrame", "User list diff"),
    ("Nick", "NickFrame", "Nickname changed"),
    ("Left", "LeftFrame", "Left a room"),
    ("History", "HistoryFrame", "History page"),
    ("Ack", "AckFrame", "Message stored"),
    ("Error", "ErrorFrame", "Error"),
    ("Pong", "PongFrame", "Pong"),
    ("Room", "RoomFrame", "Room settings"),
    ("Deleted", "DeletedFrame", "Message deleted"),
    ("Kicked", "KickedFrame", "Removed from a room"),
    ("Moderated", "ModeratedFrame", "Moderation done"),
)
CLIENT_MESSAGES: Final = (
    ("ChatLine", "ChatLine", "Send a chat line"),
    ("NickCommand", "NickCommand", "Change nickname"),
    ("JoinCommand", "JoinCommand", "Join a room"),
    ("LeaveCommand", "LeaveCommand", "Leave a room"),
    ("HistoryCommand", "HistoryCommand", "Fetch older messages"),
    ("PingCommand", "PingCommand", "Ping"),
    ("CreateCommand", "CreateCommand", "Create a room"),
    ("TopicCommand", "TopicCommand", "Set the topic"),
    ("RoleCommand", "RoleCommand", "Give or take a role"),
    ("DeleteCommand", "DeleteCommand", "Delete a message"),
    ("KickCommand", "KickCommand", "Kick"),
    ("BanCommand", "BanCommand", "Ban"),
    ("UnbanCommand", "UnbanCommand", "Lift a ban"),
    ("MuteCommand", "MuteCommand", "Mute"),
    ("UnmuteCommand", "UnmuteCommand", "Lift a mute"),
)

_EXAMPLES: Final[dict[str, Schema]] = {
    "Status": {
        "Type": "Status",
        "WSID": "5f0c2d9a41be7e03",
        "Message": "Q29ubmVjdGVkIHRvIGxvYmJ5IGFzIGFsaWNl",
        "Nick": "alice",
        "Room": "lobby",
        "Session": "mI0mUo9v0vPZcM5b8rtSjDzl",
        "Version": __version__,
    },
    "Joined": {"Type": "Joined", "Room": "lobby", "LastID": 118, "Backlog": 50, "Ref": 3},
    "Chat": {
        "Type": "Chat",
        "Message": "aMOpbGxv",
        "Author": "alice",
        "Room": "lobby",
        "WSID": "5f0c2d9a41be7e03",
        "Sent": "2026-11-26 00:38:50",
        "ID": 119,
        "Time": "2026-11-26T00:38:50.548Z",
    },
    "userlist": {"Type": "userlist", "Room": "lobby", "Users": [{"Name": "alice"}]},
    "Presence": {"Type": "Presence", "Room": "lobby", "Joined": ["bob"], "Left": []},
    "Nick": {"Type": "Nick", "Name": "bob", "Old": "guest-3fa1", "Ref": 4},
    "Left": {"Type": "Left", "Room": "random", "Ref": 5},
    "History": {"Type": "History", "Room": "lobby", "Messages": [], "More": False, "Ref": 6},
    "Ack": {"Type": "Ack", "Ref": "m-17", "ID": 120, "Room": "lobby"},
    "Error": {
        "Type": "Error",
        "Code": "nick_taken",
        "Message": "nickname 'bob' is taken",
        "Ref": 4,
    },
    "Pong": {"Type": "Pong", "Time": 1795660730548, "Ref": 7},
    "ChatLine": {"Message": "aGVsbG8gd29ybGQ=", "Author": "alice", "Ref": 1},
    "NickCommand": {"Type": "Nick", "Name": "bob", "Ref": 4},
    "JoinCommand": {"Type": "Join", "Room": "random", "Since": 42, "Ref": 3},
    "LeaveCommand": {"Type": "Leave", "Room": "random", "Ref": 5},
    "HistoryCommand": {"Type": "History", "Room": "lobby", "Before": 70, "Limit": 50, "Ref": 6},
    "PingCommand": {"Type": "Ping", "Ref": 7},
    "Room": {
        "Type": "Room",
        "Room": "team",
        "Topic": "Plans",
        "Private": True,
        "Owner": "alice",
        "Moderators": ["bob"],
        "Role": "member",
    },
    "Deleted": {"Type": "Deleted", "Room": "lobby", "ID": 119},
    "Kicked": {
        "Type": "Kicked",
        "Room": "lobby",
        "By": "bob",
        "Reason": "spam",
        "Banned": True,
        "Until": "2026-11-27T00:00:00.000Z",
    },
    "Moderated": {"Type": "Moderated", "Action": "ban", "Room": "lobby", "Name": "mallory"},
    "CreateCommand": {"Type": "Create", "Room": "team", "Private": True, "Topic": "Plans"},
    "TopicCommand": {"Type": "Topic", "Room": "team", "Topic": "Release on Friday"},
    "RoleCommand": {"Type": "Role", "Room": "team", "Name": "carol", "Role": "member"},
    "DeleteCommand": {"Type": "Delete", "Room": "lobby", "ID": 119},
    "KickCommand": {"Type": "Kick", "Room": "lobby", "Name": "mallory", "Reason": "spam"},
    "BanCommand": {"Type": "Ban", "Room": "lobby", "Name": "mallory", "Duration": 3600},
    "UnbanCommand": {"Type": "Unban", "Room": "lobby", "Name": "mallory"},
    "MuteCommand": {"Type": "Mute", "Room": "lobby", "Name": "mallory", "Duration": 600},
    "UnmuteCommand": {"Type": "Unmute", "Room": "lobby", "Name": "mallory"},
}


def _connect_query() -> Schema:
    return {
        "type": "object",
        "properties": {
            "room": {
                "type": "string",
                "description": "The first room to join; missing or empty means 'default'",
            },
            "nick": {
                "type": "string",
                "description": "The nickname to take; invalid or taken gives a guest name",
            },
            "since": {
                "type": "string",
                "pattern": "^[0-9]{1,18}$",
                "description": "Resume the first room: replay exactly the messages after it",
            },
            "session": {
                "type": "string",
                "description": "The Session of an earlier connection: keeps the nickname and "
                "makes re-sent Refs idempotent",
            },
            "token": {
                "type": "string",
                "description": "Sign in: an API token (rc_...) or a JWT connection token, as an "
                "Authorization: Bearer header would; a session cookie also signs in",
            },
            "userlist": {
                "type": "string",
                "enum": ["full", "diff"],
                "default": "full",
                "description": "diff: after the first userlist, get Presence frames",
            },
        },
    }


def asyncapi_document(settings: Settings, host: str = "localhost:8000") -> dict[str, Any]:
    """The AsyncAPI 3.0 document for a server with ``settings``, reachable at ``host``."""
    server_schemas = _server_frames()
    client_schemas = _client_frames(settings)
    schemas = {**_shared_schemas(), **server_schemas, **client_schemas}
    schemas["ServerFrame"] = {
        "description": "Any frame the server sends.",
        "oneOf": [_ref(schema) for _, schema, _ in SERVER_MESSAGES],
    }
    schemas["ClientFrame"] = {
        "description": "Any frame a client sends.",
        "oneOf": [_ref(schema) for _, schema, _ in CLIENT_MESSAGES],
    }
    messages = {
        key: {
            "name": key,
            "title": title,
            "summary": schemas[schema]["description"],
            "contentType": "application/json",
            "payload": _ref(schema),
            "examples": [{"payload": _EXAMPLES[key]}],
        }
        for key, schema, title in (*SERVER_MESSAGES, *CLIENT_MESSAGES)
    }
    channel_messages = {key: {"$ref": f"#/components/messages/{key}"} for key in messages}

    def operation(channel: str, action: str, keys: tuple[tuple[str, str, str], ...]) -> Schema:
        return {
            "action": action,
            "channel": {"$ref": f"#/channels/{channel}"},
            "messages": [{"$ref": f"#/channels/{channel}/messages/{key}"} for key, _, _ in keys],
        }

    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "roomcast WebSocket chat protocol",
            "version": __version__,
            "description": (
                "JSON text frames over one WebSocket per client, compatible with the Caché "
                "'Asynchronous Websockets' tutorial chat and extended with nicknames, rooms, "
                "history, resume, acknowledgements, errors and pings. Clients must ignore frame "
                "types and keys they do not know. See docs/protocol.md."
            ),
        },
        "servers": {
            "roomcast": {
                "host": host,
                "protocol": "ws",
                "description": "This roomcast server.",
            }
        },
        "defaultContentType": "application/json",
        "channels": {
            "chat": {
                "address": "/ws",
                "title": "Chat connection",
                "description": "One connection: the server's frames and the client's commands.",
                "servers": [{"$ref": "#/servers/roomcast"}],
                "messages": channel_messages,
                "bindings": {"ws": {"method": "GET", "query": _connect_query()}},
            },
            "tutorial": {
                "address": "/csp/{namespace}/Chat.Server.cls",
                "title": "The tutorial's endpoint",
                "description": "The same protocol at the path the tutorial's page uses.",
                "servers": [{"$ref": "#/servers/roomcast"}],
                "parameters": {"namespace": {"description": "Any Caché namespace name."}},
                "messages": channel_messages,
                "bindings": {"ws": {"method": "GET", "query": _connect_query()}},
            },
        },
        "operations": {
            "sendServerFrames": operation("chat", "send", SERVER_MESSAGES),
            "receiveClientFrames": operation("chat", "receive", CLIENT_MESSAGES),
            "sendServerFramesTutorial": operation("tutorial", "send", SERVER_MESSAGES),
            "receiveClientFramesTutorial": operation("tutorial", "receive", CLIENT_MESSAGES),
        },
        "components": {"schemas": schemas, "messages": messages},
    }
