// Big rooms: over the server's `userlist_max` members a `userlist` holds only the first names
// and the room's Count. The people panel shows the count and pages the rest with Members
// frames, 200 names at a time, each time its "Show more" button is pressed.

import { $ } from "./dom.js";
import { request } from "./link.js";
import { changed, currentRoom, state } from "./store.js";

const PAGE = 200;

const ui = { more: $("people-more") };

/** A `userlist` came: with Count, its names are the first of a big room and more may follow. */
export function listCut(room, count, names) {
  room.memberCount = Number.isInteger(count) ? count : null;
  room.membersAfter = room.memberCount !== null && names.length > 0 ? names.at(-1) : null;
  room.membersAsked = null; // a page asked for an older list is dropped when it comes
}

/** Who joined and left (a Presence frame): a big room's count follows them. */
export function countChanged(room, joined, left) {
  if (room.memberCount !== null) room.memberCount += joined - left;
}

/** Ask for the next page of the room on screen, once at a time. */
export function loadMoreMembers() {
  const room = currentRoom();
  if (!room || room.membersAfter === null || room.membersAsked !== null) return;
  const frame = { Type: "Members", Room: room.name, After: room.membersAfter, Limit: PAGE };
  room.membersAsked = request("members", frame, { room: room.name });
  changed("people");
}

export function onMembers(frame) {
  const req = state.requests.get(frame.Ref);
  state.requests.delete(frame.Ref);
  const room = state.rooms.get(req?.room);
  if (!room || room.membersAsked !== frame.Ref) return;
  room.membersAsked = null;
  const names = Array.isArray(frame.Names) ? frame.Names.filter((n) => typeof n === "string") : [];
  const known = new Set(room.users);
  room.users = [...room.users, ...names.filter((name) => !known.has(name))];
  if (Number.isInteger(frame.Count)) room.memberCount = frame.Count;
  room.membersAfter = frame.More === true && names.length > 0 ? names.at(-1) : null;
  changed("people");
  changed("rooms");
}

/** A Members request was refused: the button may be pressed again. */
export function membersRefused(req) {
  const room = state.rooms.get(req.room);
  if (room) room.membersAsked = null;
  changed("people");
}

/** The "Show more" button of the people panel, for the room on screen. */
export function renderMore(room) {
  const hidden = !room || room.membersAfter === null;
  ui.more.hidden = hidden;
  if (hidden) return;
  const left = Math.max(0, room.userCount - room.users.length);
  ui.more.disabled = room.membersAsked !== null;
  ui.more.textContent = `Show more (${left.toLocaleString()} not shown)`;
}

ui.more.addEventListener("click", loadMoreMembers);