"""The paths of the OpenAPI document, as data: one ``Operation`` per method and path.

Bodies are named by their Struct in ``http.bodies`` (``openapi`` turns each into a reference to
its component schema); errors by status, each a shared response of the ``Error`` body.
"""

from __future__ import annotations

from typing import Final, NamedTuple

from roomcast.http import bodies
from roomcast.http.admin import MAX_ACCOUNTS
from roomcast.http.messages import MAX_PAGE
from roomcast.http.moderation import MAX_AUDIT_PAGE, MAX_TIME_MS
from roomcast.http.specs.schema import Schema, ref
from roomcast.wire import protocol
from roomcast.wire.limits import DEFAULT_SEARCH_LIMIT, MAX_QUERY_CHARS, MAX_SEARCH_LIMIT

ROOM_NAME: Final = ref("RoomName")


class Operation(NamedTuple):
    """One method on one path: what it takes, what it answers, and who may call it."""

    method: str
    path: str
    operation_id: str
    tag: str
    summary: str
    status: int
    answer: type[bodies.Body] | Schema | None  # None: no content
    answer_description: str
    errors: tuple[int, ...] = ()
    request: type[bodies.Body] | None = None
    parameters: tuple[Schema, ...] = ()
    # "": none; "apiKey": the API key; "user": the API key or a session; "uploader": those or a
    # guest's chat session
    security: str = ""
    description: str = ""
    media_type: str = "application/json"
    request_content: Schema | None = None  # a body that is not JSON: its content by media type
    more_answers: tuple[tuple[int, str], ...] = ()  # other successes: (status, description)
    same_body: tuple[tuple[int, str], ...] = ()  # other statuses answered with ``answer``'s body


def path_param(name: str, schema: Schema) -> Schema:
    return {"name": name, "in": "path", "required": True, "schema": schema}


ROOM: Final = path_param("room", ROOM_NAME)
ACCOUNT_ID: Final = path_param("id", {"type": "string", "minLength": 1})
TIME_MS: Final = {"type": "integer", "minimum": 0, "maximum": MAX_TIME_MS}
ANY_OBJECT: Final = {"type": "object"}
BINARY: Final = {"type": "string", "format": "binary"}
UPLOAD_ID: Final = path_param("id", {"type": "string", "minLength": 1, "maxLength": 64})
FILE_ANSWERS: Final = (
    (206, "The byte range asked for (Range: bytes=FIRST-LAST, one range)"),
    (304, "Unchanged since the ETag given in If-None-Match"),
)
FILE_SERVING: Final = (
    "Only to those who may read the file's room (anyone else: 404). Every answer has "
    "X-Content-Type-Options: nosniff and Content-Security-Policy: sandbox; PNG, JPEG, GIF and "
    "WebP images (as their bytes say) are inline with their type, anything else is "
    "Content-Disposition: attachment as application/octet-stream. Range (one range), If-Range, "
    "a strong ETag (the content's SHA-256) and If-None-Match; Cache-Control: private, no-cache."
)

# One operation per entry, in the order of the arguments of ``Operation``.
# fmt: off
OPERATIONS: Final = (
    # -- rooms and history
    Operation(
        "get", "/api/rooms", "listRooms", "rooms",
        "List rooms with their member counts and topics",
        200, bodies.RoomList, "The rooms", (503,),
    ),
    Operation(
        "post", "/api/rooms", "createRoom", "moderation",
        "Create a room owned by the caller's account, public or private",
        201, bodies.RoomAccess, "The new room", (400, 401, 403, 409, 413, 503),
        request=bodies.NewRoom, security="user",
    ),
    Operation(
        "get", "/api/rooms/{room}", "getRoom", "rooms", "One room's details",
        200, bodies.Room, "The room", (400, 404, 503), parameters=(ROOM,),
    ),
    Operation(
        "get", "/api/rooms/{room}/members", "listMembers", "rooms", "Who is in the room now",
        200, bodies.MemberList, "The members", (400, 404, 503), parameters=(ROOM,),
    ),
    Operation(
        "get", "/api/rooms/{room}/messages", "listMessages", "rooms",
        "A page of history, newest first",
        200, bodies.MessagePage, "The page", (400, 404, 503),
        parameters=(
            ROOM,
            {
                "name": "before",
                "in": "query",
                "description": "Only messages with a smaller ID (exclusive)",
                "schema": {"type": "integer", "minimum": 1, "maximum": bodies.MAX_ID},
            },
            {
                "name": "limit",
                "in": "query",
                "description": "Page size",
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_PAGE,
                    "default": protocol.DEFAULT_HISTORY_LIMIT,
                },
            },
        ),
        description=(
            "Cursors are message IDs, so pages are stable while new messages arrive: "
            "follow next_before until it is null."
        ),
    ),
    Operation(
        "get", "/api/search", "search", "rooms",
        "The lines matching a query, in the rooms the caller may read",
        200, bodies.SearchResults, "The lines found", (400, 503),
        parameters=(
            {
                "name": "q",
                "in": "query",
                "required": True,
                "description": 'Words (all must occur), "phrases", -exclusions, prefix* words',
                "schema": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS},
            },
            {
                "name": "room",
                "in": "query",
                "description": "Only this room's lines: its newest matches, page by page",
                "schema": ROOM_NAME,
            },
            {
                "name": "author",
                "in": "query",
                "description": "Only the lines of this name",
                "schema": {"type": "string"},
            },
            {
                "name": "before",
                "in": "query",
                "description": "Only lines with a smaller ID: with room, the lowest ID of the"
                " last page gives the next",
                "schema": {"type": "integer", "minimum": 1, "maximum": bodies.MAX_ID},
            },
            {
                "name": "limit",
                "in": "query",
                "description": "Page size",
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_SEARCH_LIMIT,
                    "default": DEFAULT_SEARCH_LIMIT,
                },
            },
        ),
        description=(
            "With the API's usual credentials (none: a guest). Public rooms for everyone,"
            " private rooms and direct conversations for their members. Case and diacritics"
            " are ignored."
        ),
    ),
    # -- publishing with the API key
    Operation(
        "post", "/api/rooms/{room}/messages", "postMessage", "publish",
        "Store a message and deliver it to the room's members",
        201, bodies.Message, "The stored message", (400, 401, 413, 503),
        request=bodies.NewMessage, parameters=(ROOM,), security="apiKey",
    ),
    Operation(
        "post", "/api/broadcast", "broadcast", "publish", "Post a system message to every room",
        201, bodies.BroadcastResult, "The stored messages", (400, 401, 413, 503),
        request=bodies.Broadcast, security="apiKey",
    ),
    # -- files
    Operation(
        "post", "/api/rooms/{room}/uploads", "uploadFile", "files",
        "Upload a file to a room, for a line to attach (its Attachments)",
        201, bodies.UploadedFile, "The stored file", (400, 401, 403, 404, 413, 503),
        parameters=(
            ROOM,
            {"name": "name", "in": "query", "description": "The file's name",
             "schema": {"type": "string"}},
            {"name": "X-Filename", "in": "header",
             "description": "The file's name, percent-encoded UTF-8 (encodeURIComponent)",
             "schema": {"type": "string"}},
        ),
        security="uploader",
        description=(
            "Members of the room may upload: anyone who may post there (banned and muted "
            "people may not). The body is the file (Content-Type its type) or multipart/form-data "
            "with one file part; at most max_upload_bytes (413 too_large), within the person's "
            "upload_quota_bytes (413 quota_exceeded); an empty file is refused (400 empty_file). "
            "PNG, JPEG, GIF and WebP images (sniffed from their bytes) get width, height and a "
            "thumbnail; one over 40 megapixels is refused (413 image_too_large). An upload no "
            "line attaches within upload_unattached_ttl is deleted."
        ),
        request_content={
            "application/octet-stream": {"schema": BINARY},
            "multipart/form-data": {
                "schema": {"type": "object", "properties": {"file": BINARY}, "required": ["file"]}
            },
        },
    ),
    Operation(
        "get", "/api/files/{id}/{name}", "getFile", "files", "A file of a room",
        200, BINARY, "The file", (404, 416, 503),
        parameters=(UPLOAD_ID, path_param("name", {"type": "string"})),
        description=FILE_SERVING, media_type="*/*", more_answers=FILE_ANSWERS,
    ),
    Operation(
        "get", "/api/thumbs/{id}", "getThumbnail", "files",
        "An image's thumbnail (WebP, at most 400 px, no metadata)",
        200, BINARY, "The thumbnail", (404, 416, 503), parameters=(UPLOAD_ID,),
        description=FILE_SERVING, media_type="image/webp", more_answers=FILE_ANSWERS,
    ),
    # -- operations
    Operation(
        "get", "/api/openapi.json", "getOpenAPI", "operations", "This document",
        200, ANY_OBJECT, "OpenAPI 3.1",
    ),
    Operation(
        "get", "/api/asyncapi.json", "getAsyncAPI", "operations",
        "The WebSocket protocol as an AsyncAPI 3 document",
        200, ANY_OBJECT, "AsyncAPI 3.0",
    ),
    Operation(
        "get", "/healthz", "health", "operations", "Liveness: the process answers",
        200, bodies.Health, "Alive",
    ),
    Operation(
        "get", "/readyz", "ready", "operations",
        "Readiness: can this node take new connections and serve them",
        200, bodies.Ready, "Ready to serve (status ready, or degraded but serving)",
        description=(
            "Every dependency's state is listed. The store down (or not answering within the"
            " store timeout) or the node shutting down makes it not ready (503); the broker or"
            " the presence down or degraded leaves it ready (200, status degraded): the node"
            " still stores, delivers to its own members and catches up from the store."
        ),
        same_body=((503, "Not ready: the same body, with the failing dependencies"),),
    ),
    Operation(
        "get", "/metrics", "metrics", "operations",
        "Prometheus metrics of this node (text format 0.0.4)",
        200, {"type": "string"}, "The metrics", media_type="text/plain",
    ),
    # -- accounts, sessions and tokens
    Operation(
        "post", "/api/register", "register", "accounts",
        "Create an account and sign in (sets the session cookie)",
        201, bodies.Me, "Signed in as the new account", (400, 403, 409, 413, 429, 503),
        request=bodies.Registration,
    ),
    Operation(
        "post", "/api/login", "login", "accounts", "Sign in: sets the HttpOnly session cookie",
        200, bodies.Me, "Signed in", (400, 401, 403, 413, 429, 503), request=bodies.Credentials,
    ),
    Operation(
        "post", "/api/logout", "logout", "accounts",
        "End this session; its WebSocket connections close with 4003",
        204, None, "Done", (401, 403, 503),
    ),
    Operation(
        "get", "/api/me", "me", "accounts", "Who the caller is",
        200, bodies.Me, "The caller", (401, 503),
    ),
    Operation(
        "get", "/api/me/rooms", "myRooms", "accounts",
        "The caller's rooms, with its read markers, unread and mention counts",
        200, bodies.PersonRoomList, "The rooms", (401, 403, 503), security="user",
    ),
    Operation(
        "get", "/api/me/blocks", "myBlocks", "accounts", "The accounts the caller blocks",
        200, bodies.BlockList, "The blocked accounts", (401, 403, 503), security="user",
    ),
    Operation(
        "put", "/api/me/blocks/{name}", "block", "accounts",
        "Block an account: no direct conversation with it, no notification for its lines",
        204, None, "Done", (400, 401, 403, 404, 503), security="user",
        parameters=(path_param("name", {"type": "string", "minLength": 1}),),
    ),
    Operation(
        "delete", "/api/me/blocks/{name}", "unblock", "accounts", "Lift a block",
        204, None, "Done", (401, 403, 404, 503), security="user",
        parameters=(path_param("name", {"type": "string", "minLength": 1}),),
    ),
    Operation(
        "get", "/api/tokens", "listTokens", "accounts",
        "The caller's API tokens (without their secrets)",
        200, bodies.TokenList, "The tokens", (401, 503), security="user",
    ),
    Operation(
        "post", "/api/tokens", "createToken", "accounts",
        "Create an API token for a bot; the secret is shown once",
        201, bodies.CreatedToken, "The new token", (400, 401, 403, 413, 503),
        request=bodies.NewToken, security="user",
    ),
    Operation(
        "delete", "/api/tokens/{token}", "revokeToken", "accounts",
        "Revoke a token; its connections close with 4003",
        204, None, "Done", (401, 403, 404, 503),
        parameters=(path_param("token", {"type": "string"}),), security="user",
    ),
    # -- room access and moderation
    Operation(
        "get", "/api/rooms/{room}/access", "getRoomAccess", "moderation",
        "Owner, moderators, invited members, privacy, and the caller's role",
        200, bodies.RoomAccess, "The room's access", (400, 401, 404, 503), parameters=(ROOM,),
    ),
    Operation(
        "put", "/api/rooms/{room}/topic", "setTopic", "moderation", "Set the topic (moderators)",
        200, bodies.RoomAccess, "The room", (400, 401, 403, 404, 413, 503),
        request=bodies.Topic, parameters=(ROOM,), security="user",
    ),
    Operation(
        "put", "/api/rooms/{room}/roles/{name}", "setRole", "moderation",
        "Make an account a moderator (owner) or invited member, or neither",
        200, bodies.RoomAccess, "The room", (400, 401, 403, 404, 413, 503),
        request=bodies.RoleChange,
        parameters=(ROOM, path_param("name", {"type": "string"})),
        security="user",
    ),
    Operation(
        "post", "/api/rooms/{room}/moderation", "moderate", "moderation",
        "Kick, ban, unban, mute or unmute someone (moderators)",
        200, bodies.ModerationResult, "Done", (400, 401, 403, 404, 413, 503),
        request=bodies.Moderation, parameters=(ROOM,), security="user",
    ),
    Operation(
        "delete", "/api/rooms/{room}/messages/{id}", "deleteMessage", "moderation",
        "Delete a message for everyone, history included (moderators)",
        204, None, "Done", (400, 401, 403, 404, 503),
        parameters=(
            ROOM,
            path_param("id", {"type": "integer", "minimum": 1, "maximum": bodies.MAX_ID}),
        ),
        security="user",
    ),
    Operation(
        "get", "/api/rooms/{room}/sanctions", "listSanctions", "moderation",
        "Bans and mutes in force (moderators)",
        200, bodies.SanctionList, "The sanctions", (400, 401, 403, 503),
        parameters=(ROOM,), security="user",
    ),
    Operation(
        "get", "/api/audit", "auditLog", "moderation",
        "The moderation audit log: of a room (its moderators) or all (admins)",
        200, bodies.AuditLog, "The entries", (400, 401, 403, 503),
        parameters=(
            {"name": "room", "in": "query", "schema": ROOM_NAME},
            {
                "name": "limit",
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_AUDIT_PAGE},
            },
            {"name": "actor", "in": "query", "description": "Only this actor's entries",
             "schema": {"type": "string"}},
            {"name": "action", "in": "query", "description": "Only entries of this action",
             "schema": {"type": "string"}},
            {"name": "since", "in": "query", "description": "Only from this time on (ms)",
             "schema": TIME_MS},
            {"name": "until", "in": "query", "description": "Only before this time (ms)",
             "schema": TIME_MS},
        ),
        security="user",
    ),
    # -- the server admin page
    Operation(
        "get", "/api/admin/overview", "adminOverview", "admin",
        "Every node's numbers: connections, rooms, rates, store and broker round trips",
        200, bodies.Overview, "The numbers", (401, 403, 503), security="user",
    ),
    Operation(
        "get", "/api/admin/accounts", "adminAccounts", "admin",
        "Accounts, searched by name",
        200, bodies.AdminAccountList, "The accounts", (400, 401, 403, 503),
        parameters=(
            {"name": "search", "in": "query", "description": "Part of the name",
             "schema": {"type": "string"}},
            {"name": "limit", "in": "query",
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ACCOUNTS}},
        ),
        security="user",
    ),
    Operation(
        "patch", "/api/admin/accounts/{id}", "adminChangeAccount", "admin",
        "Disable or enable an account, make or unmake it a server admin",
        200, bodies.AdminAccount, "The account", (400, 401, 403, 404, 409, 413, 503),
        request=bodies.AccountFlags, parameters=(ACCOUNT_ID,), security="user",
    ),
    Operation(
        "post", "/api/admin/accounts/{id}/signout", "adminSignOut", "admin",
        "End every login session of an account and close its connections",
        200, bodies.SignedOut, "The sessions ended", (401, 403, 404, 503),
        parameters=(ACCOUNT_ID,), security="user",
    ),
    Operation(
        "get", "/api/admin/rooms", "adminRooms", "admin",
        "Every room with its last ID, topic, privacy and members now",
        200, bodies.AdminRoomList, "The rooms", (401, 403, 503), security="user",
    ),
    Operation(
        "delete", "/api/admin/rooms/{room}", "adminDeleteRoom", "admin",
        "Delete a room and its history (its IDs are never reused)",
        204, None, "Deleted", (400, 401, 403, 404, 503), parameters=(ROOM,), security="user",
    ),
)
# fmt: on
