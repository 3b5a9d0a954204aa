// What this person has not read yet, room by room: the read marker (the person's, shared by all
// its pages: Rooms, Joined and Read frames move it), the unread and mention counts, the Read
// frames this page sends while someone reads, and the "new since you were here" line.
//
// A room is being read when it is on screen, the page is visible and its log is at the bottom:
// then the page sends {"Type":"Read","Room":R,"ID":I} with the highest ID it holds, at most once
// every READ_EVERY_MS per room and never for an ID the person's marker already passed. Another
// page of the same person that reads sends the Read frame here: the counts drop to what this
// page holds past that ID.
//
// The "new since you were here" line goes before the first line after the read marker the
// Rooms frame gave (when there was something unread). The room's backlog is the newest page of
// lines, as for any first join: when the marker is older than that, the line sits at the top
// until older pages come in, and it moves to its place as they do.

import { isOwn, mentionsMe } from "./entries.js";
import { decorate } from "./line.js";
import { ready, send } from "./link.js";
import { changed, currentRoom, state, watch } from "./store.js";

const READ_EVERY_MS = 1_000;
const FOLLOWS = Node.DOCUMENT_POSITION_FOLLOWING;

const count = (value) => (Number.isSafeInteger(value) && value > 0 ? value : 0);

/**
 * Is someone reading `room` right now (on screen, page visible, log at the bottom of its
 * newest lines, not of older ones opened around a message)?
 */
export const beingRead = (room) =>
  room === currentRoom() && room.atBottom && !room.window && !document.hidden;

/** The person's read marker in `room` is at least `id` (the server said so). */
export function noteReadMark(room, id) {
  room.readMark = Math.max(room.readMark, count(id));
  room.read.sent = Math.max(room.read.sent, room.readMark);
}

/** A room of the Rooms frame: its counts and read marker, for a room this page (re)joins. */
export function takeCounts(room, item) {
  room.unread = count(item.Unread);
  room.mentions = count(item.Mentions);
  room.countedTo = Math.max(room.countedTo, count(item.LastID));
  room.countsKnown = true;
  noteReadMark(room, item.ReadID);
  if (room.unread > 0 && room.sinceMark === null) room.sinceMark = count(item.ReadID);
  placeDivider(room);
}

/** A line of the room's list came (live, in a backlog or a resume): one more unread? */
export function lineArrived(room, entry, own) {
  if (entry.id === null || own || beingRead(room)) return;
  if (entry.id <= Math.max(room.readMark, room.countedTo)) return;
  room.unread += 1;
  changed("rooms");
}

/** A Notify about line `id` of `room`: one more mention, unless it is read or counted. */
export function mentionArrived(room, id) {
  if (!Number.isSafeInteger(id) || id <= room.lastMention || beingRead(room)) return;
  room.lastMention = id;
  if (id <= Math.max(room.readMark, room.countedTo)) return;
  room.mentions += 1;
  changed("rooms");
}

/** Everything in `room` up to its newest line has been read here. */
export function readAll(room) {
  const had = room.unread > 0 || room.mentions > 0;
  room.readMark = Math.max(room.readMark, room.maxId);
  room.unread = 0;
  room.mentions = 0;
  sendRead(room);
  if (had) changed("rooms");
}

/** Tell the server (so the person's other pages) that `room` is read up to its newest ID. */
function sendRead(room) {
  room.read.wanted = Math.max(room.read.wanted, room.maxId);
  if (room.read.wanted <= room.read.sent || room.read.timer) return;
  const wait = room.read.at + READ_EVERY_MS - Date.now();
  if (wait <= 0) flushRead(room);
  else room.read.timer = setTimeout(() => flushRead(room), wait);
}

function flushRead(room) {
  room.read.timer = 0;
  const id = room.read.wanted;
  if (id <= room.read.sent || state.rooms.get(room.name) !== room) return;
  // Not in the room (yet) or offline: the next read after the join sends it.
  if (room.status !== "joined" || !ready()) return;
  if (!send({ Type: "Read", Room: room.name, ID: id })) return;
  room.read.sent = id;
  room.read.at = Date.now();
}

/** Another page of this person read `room` up to `frame.ID`: what is left unread here. */
export function onRead(frame) {
  const room = state.rooms.get(frame.Room);
  if (!room) return;
  const id = count(frame.ID);
  noteReadMark(room, id);
  if (id >= Math.max(room.maxId, room.countedTo)) {
    room.unread = 0;
    room.mentions = 0;
  } else {
    let unread = 0;
    let mentioned = 0;
    for (const entry of room.entries.values()) {
      if (entry.id <= id || entry.thread !== null || isOwn(room, entry)) continue;
      unread += 1;
      if (room.direct || mentionsMe(entry)) mentioned += 1;
    }
    room.unread = Math.min(room.unread, unread);
    room.mentions = Math.min(room.mentions, mentioned);
  }
  changed("rooms");
}

// -- the "new since you were here" line ----------------------------------------------------------

function dividerOf(room) {
  if (!room.divider) {
    const li = document.createElement("li");
    li.className = "since-divider";
    li.setAttribute("role", "separator");
    const label = document.createElement("span");
    label.textContent = "New since you were here";
    li.append(label);
    room.divider = li;
  }
  return room.divider;
}

/** Put the line before the first line (by someone else) after the marker, if one is held. */
export function placeDivider(room) {
  let first = null;
  if (room.sinceMark !== null) {
    for (const li of room.list.querySelectorAll("li.msg[data-id]:not(.own)")) {
      if (Number(li.dataset.id) > room.sinceMark) {
        first = li;
        break;
      }
    }
  }
  if (!first) {
    removeDivider(room);
    return;
  }
  const divider = dividerOf(room);
  if (first.previousElementSibling === divider) return;
  const after = divider.nextElementSibling;
  first.before(divider);
  // It takes the line's time: a day separator goes above it, and the line keeps its grouping.
  divider.dataset.ts = first.dataset.ts;
  decorate(divider);
  decorate(first);
  decorate(after);
}

function removeDivider(room) {
  const divider = room.divider;
  if (!divider?.isConnected) return;
  const after = divider.nextElementSibling;
  divider.remove();
  decorate(after);
}

/** Line `li` was added to the room's list: does the "new since" line have to move? */
export function lineShown(room, li) {
  if (room.sinceMark === null) return;
  const divider = room.divider;
  const after = divider?.isConnected && divider.compareDocumentPosition(li) & FOLLOWS;
  if (!after) placeDivider(room);
}

// Leaving a room that was read takes its line away: it has done its work.
let onScreen = null;
watch("current", () => {
  const previous = onScreen;
  onScreen = currentRoom();
  if (!previous || previous === onScreen || !state.rooms.has(previous.name)) return;
  if (previous.readMark >= previous.maxId) {
    previous.sinceMark = null;
    removeDivider(previous);
  }
});
