// Room access and moderation as this user meets them: a message a moderator deleted goes from
// the list, being kicked or banned from a room closes it, and a room the server refuses to open
// at connect time is given up.

import { showAlert } from "./alerts.js";
import { CLOSE_POLICY_VIOLATION } from "./connection.js";
import { removeRoom } from "./rooms.js";
import { state } from "./store.js";

export function onDeleted(frame) {
  const room = state.rooms.get(frame.Room);
  if (!room || !Number.isSafeInteger(frame.ID)) return;
  for (const li of room.el.querySelectorAll("li.msg")) {
    if (li.dataset.id === String(frame.ID)) li.remove();
  }
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
