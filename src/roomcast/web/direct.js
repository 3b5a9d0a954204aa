// Direct conversations: starting one (a name clicked in People, or /msg NAME TEXT), the server's
// answer (a Room frame with Direct and Members: the conversation's room, the same one for the
// same people) that the page then joins and writes in, and naming each by the other people in
// it rather than by its dm.<hex> room name. Only signed-in users have them.

import { showAlert } from "./alerts.js";
import { ready, request } from "./link.js";
import { sendLine } from "./outbox.js";
import { openRoom, removeRoom, takeRoom } from "./rooms.js";
import { changed, isMe, sameName, state } from "./store.js";

/** The conversation with `name` alone, when this page is in it. */
function conversationWith(name) {
  for (const room of state.rooms.values()) {
    if (room.direct && room.others.length === 1 && sameName(room.others[0], name)) return room;
  }
  return null;
}

/** Open the conversation with `name` (asking the server for it first), then say `text`. */
export function startDirect(name, text = "") {
  if (!state.user) {
    showAlert("Sign in to send direct messages.");
    return false;
  }
  if (isMe(name)) {
    showAlert("That is you: pick someone else to write to.");
    return false;
  }
  const known = conversationWith(name);
  if (known) {
    openRoom(known.name);
    if (text) sendLine(known, text);
    return true;
  }
  if (!ready()) {
    showAlert("Not connected: try again once the connection is back.");
    return false;
  }
  request("direct", { Type: "Direct", Names: [name] }, { names: [name], text });
  return true;
}

/** A Room frame: a direct conversation's people, and the answer to a Direct request. */
export function onDirectRoom(frame, req) {
  const asked = req?.kind === "direct";
  if (frame.Direct !== true || typeof frame.Room !== "string") return;
  const room = asked ? takeRoom(frame.Room) : state.rooms.get(frame.Room);
  if (!room) return;
  setMembers(room, frame.Members);
  changed("rooms");
  if (asked) {
    openRoom(room.name);
    if (req.text) sendLine(room, req.text);
  }
}

/** A direct conversation's people (a Room or a Rooms frame's), the reader left out. */
export function setMembers(room, members) {
  room.direct = true;
  const names = Array.isArray(members) ? members : [];
  room.others = names.filter((name) => typeof name === "string" && !isMe(name));
}

/** The server refused a Direct request (unknown name, blocked, not signed in). */
export function directRefused(req, message) {
  showAlert(`Could not write to ${req.names.join(", ")}: ${message}`);
}

/** Signed out or in as someone else: the conversations were the account's, not this page's. */
export function forgetDirect() {
  for (const room of [...state.rooms.values()]) {
    if (room.direct) removeRoom(room.name);
  }
}
