// Room access and moderation as this user meets them: this user's role in each room (the Room
// frame's Role, which says whether it may delete others' lines), being kicked or banned from a
// room closes it, and a room the server refuses to open at connect time is given up.
//
// A refused first room: the server sends Status, then an Error without Ref (forbidden, banned)
// and closes with 1008. The Error is held until the close, which gives the room up, tells why
// once and connects again at once with another room (or the default one).

import { showAlert } from "./alerts.js";
import { CLOSE_POLICY_VIOLATION } from "./connection.js";
import { addNotice } from "./messages.js";
import { kickedText, refusalText } from "./refusals.js";
import { DEFAULT_ROOM, removeRoom } from "./rooms.js";
import { changed, state } from "./store.js";

const REFUSALS = new Set(["forbidden", "banned", "room_invalid"]);

/** A room's settings and this user's role there (after Joined, and on every change). */
export function onRoomInfo(frame) {
  if (frame.Ref) state.requests.delete(frame.Ref);
  const room = state.rooms.get(frame.Room);
  if (!room) return;
  if (typeof frame.Role === "string") room.role = frame.Role;
  const topic = typeof frame.Topic === "string" ? frame.Topic : "";
  if (room.settingsKnown && topic !== room.topic) {
    addNotice(room, [topic ? `The topic is now: ${topic}` : "The topic was cleared."], "topic");
  }
  room.settingsKnown = true;
  room.topic = topic;
  room.private = frame.Private === true;
  room.owner = typeof frame.Owner === "string" ? frame.Owner : null;
  room.moderators = Array.isArray(frame.Moderators) ? frame.Moderators : [];
  changed("room");
  changed("people");
}

export function onKicked(frame) {
  showAlert(kickedText(frame), { key: `room:${frame.Room}` });
  removeRoom(frame.Room);
}

/** An Error without Ref refusing the URL's room before its Joined: held for the close. */
export function firstRoomRefused(frame, message) {
  const first = state.rooms.get(state.link.firstRoom);
  if (frame.Ref != null || !REFUSALS.has(frame.Code) || !first || first.status === "joined") {
    return false;
  }
  state.link.refused = { code: frame.Code, message };
  return true;
}

/**
 * A connection closed as a policy violation before its first room was joined: the server
 * refused the room the URL joined (banned, private, ...). Give that room up, say why once, and
 * try again at once with another one.
 */
export function refusedAtConnect(detail, hadStatus) {
  const refused = state.link.refused;
  if (detail.code !== CLOSE_POLICY_VIOLATION || (hadStatus && !refused)) return;
  const bad = state.link.firstRoom;
  const reason = refused?.message || detail.reason || "refused by the server";
  showAlert(refusalText(bad, reason), { key: `room:${bad}` });
  const onlyDefault = state.rooms.size === 1 && bad === DEFAULT_ROOM;
  removeRoom(bad);
  if (onlyDefault) detail.retry = false; // nowhere else to go
  else detail.delay = 250;
}
