"""The AsyncAPI 3 document of the WebSocket protocol, served at ``/api/asyncapi.json``.

Every frame's JSON Schema is exported from its class in ``roomcast.wire.frames`` (msgspec's
``schema_components``, draft-07 keywords, the dialect AsyncAPI schemas build on), so validation,
encoding and the document share one definition; this module adds what is not a frame: channels,
operations, titles, examples and the connection's query. Tests validate the frames of a live
server against these schemas. ``docs/protocol.md`` is the prose version.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec

from roomcast import __version__
from roomcast.http.specs.schema import Schema
from roomcast.http.specs.schema import ref as _ref
from roomcast.ops.config import Settings
from roomcast.wire import frames, member_frames, search_frames
from roomcast.wire.errors import ErrorCode

_SCHEMA_REF: Final = "#/components/schemas/{name}"
# (frame, title) in the order the protocol document lists them.
_SERVER_TITLES: Final[tuple[tuple[type[frames.ServerFrame], str], ...]] = (
    (frames.StatusFrame, "Connection status"),
    (frames.JoinedFrame, "Joined a room"),
    (frames.ChatFrame, "Chat message"),
    (frames.UserlistFrame, "User list"),
    (frames.PresenceFrame, "User list diff"),
    (member_frames.MembersFrame, "A page of a room's members"),
    (frames.NickFrame, "Nickname changed"),
    (frames.LeftFrame, "Left a room"),
    (frames.HistoryFrame, "History page"),
    (search_frames.ResultsFrame, "Search results"),
    (frames.AckFrame, "Message stored"),
    (frames.ErrorFrame, "Error"),
    (frames.PongFrame, "Pong"),
    (frames.RoomFrame, "Room settings"),
    (frames.EditedFrame, "Message edited"),
    (frames.DeletedFrame, "Message deleted"),
    (frames.ReactionFrame, "Reaction added or removed"),
    (frames.TypingFrame, "Who is typing"),
    (frames.EditsFrame, "Versions of a message"),
    (frames.RoomsFrame, "The person's rooms"),
    (frames.ReadFrame, "Read elsewhere"),
    (frames.NotifyFrame, "A mention or a direct line"),
    (frames.BlocksFrame, "Blocked accounts"),
    (frames.KickedFrame, "Removed from a room"),
    (frames.ModeratedFrame, "Moderation done"),
)
_CLIENT_TITLES: Final[tuple[tuple[type[msgspec.Struct], str], ...]] = (
    (frames.ChatLine, "Send a chat line"),
    (frames.NickCommand, "Change nickname"),
    (frames.JoinCommand, "Join a room"),
    (frames.LeaveCommand, "Leave a room"),
    (frames.HistoryCommand, "Fetch older messages"),
    (search_frames.SearchCommand, "Search"),
    (member_frames.MembersCommand, "Page a room's members"),
    (frames.PingCommand, "Ping"),
    (frames.CreateCommand, "Create a room"),
    (frames.TopicCommand, "Set the topic"),
    (frames.RoleCommand, "Give or take a role"),
    (frames.EditCommand, "Edit one's message"),
    (frames.DeleteCommand, "Delete a message"),
    (frames.ReactCommand, "React to a message"),
    (frames.TypingCommand, "Typing"),
    (frames.EditsCommand, "Fetch a message's versions"),
    (frames.ReadCommand, "Mark as read"),
    (frames.DirectCommand, "Open a direct conversation"),
    (frames.BlockCommand, "Block an account"),
    (frames.UnblockCommand, "Lift a block"),
    (frames.KickCommand, "Kick"),
    (frames.BanCommand, "Ban"),
    (frames.UnbanCommand, "Lift a ban"),
    (frames.MuteCommand, "Mute"),
    (frames.UnmuteCommand, "Lift a mute"),
)
SERVER_FRAMES: Final = tuple(frame for frame, _ in _SERVER_TITLES)
CLIENT_FRAMES: Final = tuple(frame for frame, _ in _CLIENT_TITLES)
# (message key, schema name, title): a server message is named by its Type, a client one by
# its schema (the chat line has no Type).
SERVER_MESSAGES: Final = tuple(
    (str(frame.__struct_config__.tag), frame.__name__, title) for frame, title in _SERVER_TITLES
)
CLIENT_MESSAGES: Final = tuple(
    (frame.__name__, frame.__name__, title) for frame, title in _CLIENT_TITLES
)


def frame_schemas(settings: Settings) -> dict[str, Schema]:
    """The JSON Schemas of every frame, closed (a frame holds no keys but those listed)."""
    _, schemas = msgspec.json.schema_components(
        (*SERVER_FRAMES, *CLIENT_FRAMES), ref_template=_SCHEMA_REF
    )
    closed: tuple[type[msgspec.Struct], ...] = (
        *SERVER_FRAMES,
        *CLIENT_FRAMES,
        frames.UserlistEntry,
        frames.ReactionEntry,
        frames.VersionEntry,
        frames.PersonRoomEntry,
        search_frames.FoundFrame,
    )
    for frame in closed:
        schemas[frame.__name__]["additionalProperties"] = False
    # A deletion names its message by Target, or by the older ID.
    schemas["DeleteCommand"]["anyOf"] = [{"required": ["Target"]}, {"required": ["ID"]}]
    # A highlight's segment is a pair: draft-07 writes a tuple as an array of items.
    segment = schemas["FoundFrame"]["properties"]["Highlight"]["items"]
    segment["items"] = segment.pop("prefixItems")
    # msgspec lists an enum's values sorted; the document keeps the codes in declaration order.
    schemas["ErrorCode"]["enum"] = [code.value for code in ErrorCode]
    schemas["ChatLine"]["properties"]["Message"]["description"] = (
        f"base64 of the text: at most {settings.max_text_chars} characters, "
        "not blank (unless the line has Attachments), no control characters but tab and newline"
    )
    return schemas


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
        "ReplyTo": 117,
        "Attachments": [
            {
                "ID": "pA3x0b2ZQn6y1mVb4Q9sLw",
                "Name": "cat.png",
                "Size": 48213,
                "Type": "image/png",
                "URL": "/api/files/pA3x0b2ZQn6y1mVb4Q9sLw/cat.png",
                "Width": 1200,
                "Height": 800,
                "Thumb": "/api/thumbs/pA3x0b2ZQn6y1mVb4Q9sLw",
            }
        ],
    },
    "userlist": {"Type": "userlist", "Room": "lobby", "Users": [{"Name": "alice"}]},
    "Presence": {"Type": "Presence", "Room": "lobby", "Joined": ["bob"], "Left": []},
    "Members": {
        "Type": "Members",
        "Room": "lobby",
        "Names": ["bob", "carol"],
        "Count": 10000,
        "More": True,
        "After": "alice",
        "Ref": 12,
    },
    "Nick": {"Type": "Nick", "Name": "bob", "Old": "guest-3fa1", "Ref": 4},
    "Left": {"Type": "Left", "Room": "random", "Ref": 5},
    "History": {"Type": "History", "Room": "lobby", "Messages": [], "More": False, "Ref": 6},
    "Results": {
        "Type": "Results",
        "Query": "cafe",
        "Messages": [
            {
                "Type": "Chat",
                "Message": "TGUgQ2Fmw6kgZXN0IG91dmVydA==",
                "Author": "alice",
                "Room": "lobby",
                "WSID": "5f0c2d9a41be7e03",
                "Sent": "2026-11-26 00:38:50",
                "ID": 119,
                "Time": "2026-11-26T00:38:50.548Z",
                "Highlight": [["Le ", False], ["Café", True], [" est ouvert", False]],
            }
        ],
        "More": False,
        "Ref": 11,
    },
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
    "SearchCommand": {"Type": "Search", "Query": 'cafe "new build" -friday rele*', "Ref": 11},
    "MembersCommand": {
        "Type": "Members",
        "Room": "lobby",
        "After": "alice",
        "Limit": 200,
        "Ref": 12,
    },
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
    "Edited": {
        "Type": "Edited",
        "Room": "lobby",
        "ID": 121,
        "Target": 119,
        "Message": "aGVsbG8sIGVkaXRlZA==",
        "Author": "alice",
        "Time": "2026-11-26T00:39:02.101Z",
    },
    "Deleted": {"Type": "Deleted", "Room": "lobby", "ID": 122, "Target": 119, "By": "alice"},
    "Reaction": {
        "Type": "Reaction",
        "Room": "lobby",
        "ID": 123,
        "Target": 118,
        "Emoji": "👍",
        "Name": "bob",
        "Removed": False,
    },
    "Typing": {"Type": "Typing", "Room": "lobby", "Names": ["bob"]},
    "Edits": {
        "Type": "Edits",
        "Room": "lobby",
        "Target": 119,
        "Versions": [
            {"Message": "aGVsbG8=", "Time": "2026-11-26T00:38:50.548Z"},
            {"Message": "aGVsbG8sIGVkaXRlZA==", "Time": "2026-11-26T00:39:02.101Z"},
        ],
        "Ref": 9,
    },
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
    "EditCommand": {
        "Type": "Edit",
        "Room": "lobby",
        "Target": 119,
        "Message": "aGVsbG8sIGVkaXRlZA==",
        "Ref": 8,
    },
    "DeleteCommand": {"Type": "Delete", "Room": "lobby", "Target": 119, "Ref": 10},
    "ReactCommand": {"Type": "React", "Room": "lobby", "Target": 118, "Emoji": "👍"},
    "TypingCommand": {"Type": "Typing", "Room": "lobby"},
    "EditsCommand": {"Type": "Edits", "Room": "lobby", "Target": 119, "Ref": 9},
    "ReadCommand": {"Type": "Read", "Room": "lobby", "ID": 123},
    "DirectCommand": {"Type": "Direct", "Names": ["bob"], "Ref": 11},
    "BlockCommand": {"Type": "Block", "Name": "mallory", "Ref": 12},
    "UnblockCommand": {"Type": "Unblock", "Name": "mallory", "Ref": 13},
    "Rooms": {
        "Type": "Rooms",
        "Rooms": [
            {
                "Room": "lobby",
                "LastID": 123,
                "ReadID": 118,
                "Unread": 4,
                "Mentions": 1,
                "Direct": False,
            },
            {
                "Room": "dm.3f9a1c0b7d2e4a65",
                "LastID": 7,
                "ReadID": 7,
                "Unread": 0,
                "Mentions": 0,
                "Direct": True,
                "Members": ["alice", "bob"],
            },
        ],
    },
    "Read": {"Type": "Read", "Room": "lobby", "ID": 123},
    "Notify": {
        "Type": "Notify",
        "Kind": "mention",
        "Room": "lobby",
        "ID": 124,
        "Author": "bob",
        "Message": "QGFsaWNlIGxvb2sgYXQgdGhpcw==",
    },
    "Blocks": {"Type": "Blocks", "Names": ["mallory"], "Ref": 12},
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
    schemas = frame_schemas(settings)
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
