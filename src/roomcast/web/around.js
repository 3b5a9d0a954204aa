// Opening a room at one message (a search result): the room is joined if it was not, the lines
// around the message are fetched ({"Type":"History","Room":R,"Around":ID,"Limit":N}) in place
// of what the list held, the message is highlighted and scrolled into view, and reading goes on
// both ways from there: older pages as always (history.js), newer ones with
// {"Type":"History","Room":R,"After":ID} while the reader nears the bottom, until the newest line.
//
// Meanwhile the room has a `window` ({end, held, loading}): `end` is the newest ID in the list,
// and the live lines after it wait in `held` (messages.js) instead of leaving a gap; once the
// pages reach the newest line (a page without Newer) the held lines that came after it are
// added, and the room follows its live lines again. Sending a line, or the "Jump to the newest
// messages" button, goes back there at once.

import { showAlert } from "./alerts.js";
import { $ } from "./dom.js";
import { requestPage, updateHistoryTop } from "./history.js";
import { connection, ready, request } from "./link.js";
import { viewsOf } from "./line.js";
import { addLive, addPage } from "./messages.js";
import { openRoom } from "./rooms.js";
import { markRead, stickToBottom } from "./scroll.js";
import { currentRoom, state, watch } from "./store.js";
import { openThread } from "./thread.js";

const AROUND_LIMIT = 50;
const NEWER_PAGE = 50;
const NEAR_BOTTOM_PX = 240;
const AT_BOTTOM_PX = 48;

const ui = { log: $("log"), toLive: $("to-live"), input: $("composer-input") };

/** The message to show once its room is joined: {room, id, thread}, or null. */
let wanted = null;

const idsOf = (frames) => frames.map((frame) => frame.ID).filter(Number.isSafeInteger);

/**
 * Show message `id` of room `name` (a reply in thread `thread`: its root, with the thread
 * open). False when there is no connection to ask on.
 */
export function openAt(name, id, thread = null) {
  if (!ready()) {
    showAlert("Not connected: try again once the connection is back.");
    return false;
  }
  if (!openRoom(name)) return false;
  wanted = { room: name, id: thread ?? id, thread };
  askWanted();
  return true;
}

/** Ask for the wanted message once its room is joined (now, or when it is). */
function askWanted() {
  const room = wanted && state.rooms.get(wanted.room);
  if (!room) wanted = null; // the join was refused
  if (room?.status !== "joined") return;
  const { id, thread } = wanted;
  wanted = null;
  const held = viewsOf(room, id).find((li) => room.list.contains(li));
  if (held) {
    showFound(room, id, thread);
    return;
  }
  // From now on the lines after the message wait (the list is replaced when the page comes).
  const ref = request(
    "around",
    { Type: "History", Room: room.name, Around: id, Limit: AROUND_LIMIT },
    { room: room.name, target: id, thread },
  );
  if (state.requests.has(ref)) room.window = { end: id - 1, held: new Map(), loading: true, ref };
}

watch("membership", askWanted);

/**
 * Forget the main list's lines (the thread panel keeps what it shows), and the older page on
 * its way for them: it would not join up with what comes next.
 */
function clearList(room) {
  for (const li of room.list.querySelectorAll("li.msg[data-id]")) {
    const id = Number(li.dataset.id);
    if (viewsOf(room, id).length === 1) room.entries.delete(id);
  }
  room.list.replaceChildren();
  room.minId = Infinity;
  room.hasMore = null;
  for (const [ref, req] of state.requests) {
    if (req.kind === "history" && req.room === room.name) state.requests.delete(ref);
  }
  room.loadingOlder = false;
}

/** A History page that answers one of this module's requests; false for the others. */
export function onWindowPage(frame) {
  const req = frame.Ref != null ? state.requests.get(frame.Ref) : null;
  if (req?.kind !== "around" && req?.kind !== "newer") return false;
  state.requests.delete(frame.Ref);
  const room = state.rooms.get(req.room);
  if (!room) return true;
  const win = room.window;
  if (!win || (req.kind === "around") !== (win.ref === frame.Ref)) return true; // stale
  const messages = Array.isArray(frame.Messages) ? frame.Messages : [];
  if (req.kind === "around") {
    clearList(room);
    room.hasMore = Boolean(frame.More) && messages.length > 0;
    win.ref = null;
  }
  win.loading = false;
  addPage(room, messages, { atEnd: true });
  keepNoticesLast(room);
  win.end = Math.max(win.end, ...idsOf(messages));
  if (!frame.Newer) reachedNewest(room);
  updateHistoryTop(room);
  renderToLive();
  if (req.kind === "around") showFound(room, req.target, req.thread);
  else loadNewerIfNear(room);
  return true;
}

/**
 * The list reaches the newest line: the held lines after it follow (those it holds already are
 * skipped), then live ones.
 */
function reachedNewest(room) {
  const { held } = room.window;
  room.window = null;
  for (const id of [...held.keys()].sort((a, b) => a - b)) addLive(room, held.get(id));
  // A reader already at the bottom now follows the live lines (and has read them).
  if (room === currentRoom() && distanceToBottom() < AT_BOTTOM_PX) {
    room.atBottom = true;
    markRead(room);
  }
}

const distanceToBottom = () => ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight;

/** Notices (joins, leaves) added while older lines were shown stay after them. */
function keepNoticesLast(room) {
  const last = [...room.list.querySelectorAll("li.msg[data-id]")].at(-1);
  for (const notice of room.list.querySelectorAll("li.notice")) {
    if (last && Number(notice.dataset.ts) >= Number(last.dataset.ts)) room.list.append(notice);
  }
}

/** Highlight message `id` and bring it into view (the thread of `thread` opens beside it). */
function showFound(room, id, thread) {
  for (const old of document.querySelectorAll("li.msg.found")) old.classList.remove("found");
  const li = viewsOf(room, id).find((view) => room.list.contains(view));
  if (!li) {
    showAlert("That message is not there any more.");
    return;
  }
  li.classList.add("found");
  room.atBottom = false;
  li.scrollIntoView({ block: "center" });
  li.tabIndex = -1;
  li.focus({ preventScroll: true });
  if (thread !== null) openThread(room, thread);
  loadNewerIfNear(room);
}

/** Ask for the lines after the window when the reader is near its bottom. */
function loadNewerIfNear(room) {
  const win = room.window;
  if (!win || win.loading || room !== currentRoom() || room.status !== "joined") return;
  if (!connection.isOpen) return;
  if (distanceToBottom() > NEAR_BOTTOM_PX) return;
  win.loading = true;
  const frame = { Type: "History", Room: room.name, After: win.end, Limit: NEWER_PAGE };
  request("newer", frame, { room: room.name });
}

/** Leave the older lines for the newest ones (the reader sends a line, or asks to). */
export function backToNewest(room) {
  if (!room?.window) return;
  if (room.window.ref === null) {
    clearList(room);
    requestPage(room);
  }
  reachedNewest(room);
  updateHistoryTop(room);
  renderToLive();
  stickToBottom(room);
}

/**
 * An Error answered one of this module's requests, or the connection dropped: the room may ask
 * again; one whose lines around the message never came stays with the lines it has.
 */
export function windowRefused(req) {
  const room = state.rooms.get(req.room);
  if (!room?.window) return;
  room.window.loading = false;
  if (room.window.ref !== null) {
    reachedNewest(room);
    renderToLive();
  }
}

function renderToLive() {
  ui.toLive.hidden = !currentRoom()?.window;
}

watch("current", renderToLive);
ui.log.addEventListener(
  "scroll",
  () => {
    const room = currentRoom();
    if (room?.window) loadNewerIfNear(room);
  },
  { passive: true },
);
connection.addEventListener("closed", () => {
  for (const room of state.rooms.values()) windowRefused({ room: room.name });
});
ui.toLive.addEventListener("click", () => {
  backToNewest(currentRoom());
  ui.input.focus();
});
