// The message list of each room: stored lines in ID order (live ones and history pages), lines
// that leave it when deleted, the notices this client adds (joins, leaves, renames, help), and
// what every frame of the room's log does first (log events included): it counts towards the
// join's backlog and moves the resume point. How one line looks is line.js's; lines in a thread
// go to thread.js instead of the list; what is unread (and the "new since you were here" line)
// is unread.js's.

import { HELP } from "./commands.js";
import { $, timeElement } from "./dom.js";
import { entryFrom, isOwn, takeState } from "./entries.js";
import { fillViewport, pageArrived, updateHistoryTop } from "./history.js";
import { decorate, refreshLine, refreshQuotes, renderLine, viewsOf } from "./line.js";
import { lineStored } from "./outbox.js";
import { renderMarker, stickToBottom } from "./scroll.js";
import { currentRoom, state } from "./store.js";
import { showThreadLine, threadLineDeleted } from "./thread.js";
import { lineArrived, lineShown, placeDivider } from "./unread.js";

const log = $("log");

export function onChat(frame) {
  const room = state.rooms.get(frame.Room ?? state.link.firstRoom);
  if (!room) return;
  // While the room shows older lines (around.js), its newer lines wait there.
  const held = room.window && frame.ID > room.window.end && frame.Thread == null;
  if (held) room.window.held.set(frame.ID, frame);
  else addLive(room, frame);
  seen(room, frame.ID);
  countBacklog(room);
}

/** A line as it comes (live, in a join's backlog, or held back by around.js): into the list. */
export function addLive(room, frame) {
  // A join's backlog without Since gives messages as they are now (with their reply counts).
  const asOf = room.backlogRemaining > 0 ? room.backlogAsOf : 0;
  const entry = entryFrom(frame, asOf);
  if (entry.id === null) addLine(room, entry, true);
  else if (!room.entries.has(entry.id)) takeLine(room, entry, entry.id > room.maxId);
}

/** A main History page (thread pages are thread.js's): older lines go on top. */
export function onHistory(frame) {
  // A page asked for a list that was replaced since (around.js) does not belong to it.
  if (frame.Ref != null && !state.requests.delete(frame.Ref)) return;
  const room = state.rooms.get(frame.Room);
  if (!room) return;
  room.loadingOlder = false;
  const messages = Array.isArray(frame.Messages) ? frame.Messages : [];
  addPage(room, messages);
  room.hasMore = Boolean(frame.More) && messages.length > 0;
  updateHistoryTop(room);
  if (room === currentRoom()) fillViewport(room);
  pageArrived(room);
}

/**
 * The start of every log event (Edited, Deleted, Reaction): it moves the room's resume point
 * and counts towards the join's backlog. Returns the room and the target's entry, or null when
 * the target is not held here (the event then changes nothing else).
 */
export function logEvent(frame) {
  const room = state.rooms.get(frame.Room);
  if (!room) return null;
  seen(room, frame.ID);
  countBacklog(room);
  if (frame.Type === "Deleted") room.window?.held.delete(frame.Target);
  const entry = room.entries.get(frame.Target);
  return entry ? { room, entry } : null;
}

function seen(room, id) {
  if (Number.isSafeInteger(id) && id > room.maxId) room.maxId = id;
}

function countBacklog(room) {
  if (!(room.backlogRemaining > 0)) return;
  room.backlogRemaining -= 1;
  if (room.backlogRemaining === 0 && room === currentRoom()) fillViewport(room);
}

/** A stored line this page did not hold: into the list, or into its thread. */
function takeLine(room, entry, newest) {
  room.entries.set(entry.id, entry);
  room.minId = Math.min(room.minId, entry.id);
  lineStored(room, entry.id);
  refreshQuotes(room, entry.id);
  if (entry.thread !== null) {
    threadLineArrived(room, entry);
    return;
  }
  addLine(room, entry, newest);
}

/** A line of a thread: its root counts it (unless its count already did), the panel shows it. */
function threadLineArrived(room, entry) {
  const root = room.entries.get(entry.thread);
  if (root && entry.id > root.asOf) {
    root.replies += 1;
    refreshLine(room, root);
  }
  showThreadLine(room, entry);
}

function addLine(room, entry, newest) {
  const li = renderLine(room, entry);
  if (newest) room.list.append(li);
  else insertInOrder(room, li, entry.id);
  decorate(li);
  decorate(li.nextElementSibling);
  const own = isOwn(room, entry);
  lineArrived(room, entry, own);
  lineShown(room, li);
  if (room === currentRoom()) {
    if (own || room.atBottom) stickToBottom(room);
    else renderMarker();
  }
  updateHistoryTop(room);
}

function insertInOrder(room, li, id) {
  let after = room.list.lastElementChild;
  while (after && !(after.dataset.id && Number(after.dataset.id) < id)) {
    after = after.previousElementSibling;
  }
  if (after) after.after(li);
  else room.list.prepend(li);
}

/**
 * A page of stored lines (oldest first) that this page did not hold: on top of the list (older
 * lines; the view stays where it was), or `atEnd` under it (newer ones, around.js).
 */
export function addPage(room, frames, { atEnd = false } = {}) {
  // The page gives messages as they are now: replies in it are already counted by their roots.
  const asOf = room.maxId;
  const fresh = frames.filter((f) => Number.isSafeInteger(f.ID) && !room.entries.has(f.ID));
  if (fresh.length === 0) return;
  const isCurrent = room === currentRoom() && !room.el.hidden;
  const fromBottom = log.scrollHeight - log.scrollTop;
  const oldFirst = atEnd ? null : room.list.firstElementChild;
  const fragment = document.createDocumentFragment();
  const items = [];
  for (const frame of fresh) {
    const entry = entryFrom(frame, asOf);
    room.entries.set(entry.id, entry);
    room.minId = Math.min(room.minId, entry.id);
    seen(room, entry.id);
    lineStored(room, entry.id);
    if (entry.thread !== null) continue; // counted by its root, shown in its thread
    const li = renderLine(room, entry);
    fragment.append(li);
    items.push(li);
  }
  if (atEnd) room.list.append(fragment);
  else room.list.prepend(fragment);
  for (const li of items) decorate(li);
  decorate(oldFirst);
  for (const frame of fresh) refreshQuotes(room, frame.ID);
  placeDivider(room);
  if (isCurrent && !atEnd) log.scrollTop = log.scrollHeight - fromBottom;
}

/** A newer copy of held messages (a thread's page): take their current state and show it. */
export function updateEntries(room, frames) {
  for (const frame of frames) {
    const entry = room.entries.get(frame.ID);
    if (!entry) continue;
    takeState(entry, frame, room.maxId);
    refreshLine(room, entry);
  }
}

/** Remove a line from the page: deleted by its author or a moderator. */
export function onDeleted(frame) {
  const hit = logEvent(frame);
  if (!hit) return;
  const { room, entry } = hit;
  room.entries.delete(entry.id);
  for (const li of viewsOf(room, entry.id)) {
    const next = li.nextElementSibling;
    li.remove();
    decorate(next);
  }
  const root = entry.thread !== null ? room.entries.get(entry.thread) : null;
  if (root && root.replies > 0) {
    root.replies -= 1;
    refreshLine(room, root);
  }
  refreshQuotes(room, entry.id);
  threadLineDeleted(room, entry);
}

/** A line from this client (not from the server): joins, leaves, renames, help, errors. */
export function addNotice(room, parts, kind = "info") {
  const li = document.createElement("li");
  li.className = `notice notice-${kind}`;
  const now = new Date();
  li.dataset.ts = String(now.getTime());
  const text = document.createElement("span");
  text.className = "notice-text";
  for (const part of parts) {
    if (typeof part === "string") {
      text.append(part);
    } else {
      const name = document.createElement("bdi");
      name.className = "who";
      name.textContent = part.name;
      text.append(name);
    }
  }
  li.append(text, " ", timeElement(now));
  room.list.append(li);
  decorate(li);
  if (room === currentRoom() && room.atBottom) stickToBottom(room);
  return li;
}

export function addHelp(room) {
  const li = addNotice(room, ["Commands:"], "help");
  const list = document.createElement("dl");
  list.className = "help-list";
  for (const [form, what] of HELP) {
    const term = document.createElement("dt");
    term.textContent = form;
    const detail = document.createElement("dd");
    detail.textContent = what;
    list.append(term, detail);
  }
  li.append(list);
  if (room.atBottom) stickToBottom(room);
}
