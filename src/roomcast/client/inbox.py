"""Where each server frame goes: events into the client's stream (each ID of a room at most
once, so a replay overlapping what came before the drop repeats nothing), answers to the call
waiting for them, what a reconnect must know into the ``ResumeState``, and the person's rooms
as the server last listed them.

Imports only the other ``roomcast.client`` modules it names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from roomcast.client.events import (
    Event,
    Left,
    NickChanged,
    Read,
    RoomState,
    ServerError,
    Users,
)
from roomcast.client.frames import (
    joined_from_frame,
    log_event_from_frame,
    message_from_frame,
    notify_from_frame,
    room_info_from_frame,
    rooms_from_frame,
    typing_from_frame,
)
from roomcast.client.requests import PendingRequests
from roomcast.client.resume import ResumeState


class Inbox:
    """Reads server frames into events (given to ``emit``), answers and resume state."""

    def __init__(
        self, state: ResumeState, requests: PendingRequests, emit: Callable[[Event], None]
    ) -> None:
        self._state = state
        self._requests = requests
        self._emit = emit
        self.person_rooms: tuple[RoomState, ...] = ()

    def dispatch(self, frame: dict[str, Any]) -> None:
        """Handle one frame from the server."""
        state = self._state
        match frame.get("Type"):
            case "Chat":
                room, message_id = frame["Room"], frame["ID"]
                if state.see(room, message_id):
                    backlog = state.in_backlog(room, message_id)
                    self._emit(message_from_frame(frame, backlog=backlog))
            case "Edited" | "Deleted" | "Reaction":
                if state.see(frame["Room"], frame["ID"]):
                    self._emit(log_event_from_frame(frame))
            case "Typing":
                self._emit(typing_from_frame(frame))  # no ID: never resumed, never repeated
            case (
                "Ack"
                | "History"
                | "Edits"
                | "Pong"
                | "Blocks"
                | "Results"
                | "Moderated"
                | "Members"
            ):
                self._requests.answer(frame)
            case "Room":
                self._requests.answer(frame)  # a Direct's answer; one after Joined has no Ref
                self._emit(room_info_from_frame(frame))
            case "Joined":
                state.joined(frame["Room"], frame["LastID"])
                self._requests.answer(frame)
                self._emit(joined_from_frame(frame))
            case "Rooms":
                rooms = rooms_from_frame(frame)
                self.person_rooms = rooms.rooms
                self._emit(rooms)
            case "Read":
                self._emit(Read(frame["Room"], frame["ID"]))
            case "Notify":
                self._emit(notify_from_frame(frame))
            case "Left":
                state.left(frame["Room"])
                self._requests.answer(frame)
                self._emit(Left(frame["Room"]))
            case "userlist":
                names = tuple(user["Name"] for user in frame["Users"])
                self._emit(Users(frame["Room"], names, int(frame.get("Count", len(names)))))
            case "Nick":
                state.nick = frame["Name"]
                self._requests.answer(frame)
                self._emit(NickChanged(frame["Name"], frame["Old"]))
            case "Error":
                if not self._requests.refuse(frame):
                    self._emit(
                        ServerError(
                            frame.get("Code", "error"), frame.get("Message", ""), frame.get("Ref")
                        )
                    )
            case _:
                pass  # types this client does not know are ignored, as the protocol asks
