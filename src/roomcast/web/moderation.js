// Room access and moderation as this user meets them: this user's role in each room (the Room
// frame's Role, which says whether it may delete others' lines), being kicked or banned from a
// room closes it, and a room the server refuses to open at connect time is given up.

import { showAlert } from "./alerts.js";
import { CLOSE_POLICY_VIOLATION } from "./connection.js";
import { removeRoom } from "./rooms.js";
import { state } from "./store.js";

/** A room's settings and this user's role there (after Joined, and on every change). */
export function onRoomInfo(frame) {
  if (frame.Ref) state.requests.delete(frame.Ref);
  const room = state.rooms.get(frame.Room);
  if (room && typeof frame.Role === "string") room.role = frame.Role;
}

export function onKicked(frame) {
  const verb = frame.Banned ? "banned you from" : "removed you from";
  const why = frame.Reason ? `: ${frame.Reason}` : "";
  showAlert(`${frame.By || "A moderator"} ${verb} #${frame.Room}${why}`);
  removeRoom(frame.Room);
}

/**
 * A connection closed as a policy violation before its Status: the server refused the room the
 * URL joined (banned, private, ...). Give that room up and try again soon with another one.
 */
export function refusedAtConnect(detail, hadStatus) {
  if (detail.code !== CLOSE_POLICY_VIOLATION || hadStatus) return;
  const bad = state.link.firstRoom;
  showAlert(`Could not open #${bad}: ${detail.reason || "refused by the server"}`);
  removeRoom(bad);
  detail.delay = 250;
}
