// History paging: the top of a room's list (load older, loading, the beginning of the room),
// the History requests that fetch older pages, filling a screen that cannot scroll yet, and
// paging back to one older message (the one a reply quotes). The pages that come back are
// added by the message list (messages.js).

import { $, hashName } from "./dom.js";
import { connection, request } from "./link.js";
import { state } from "./store.js";

const HISTORY_PAGE = 50;
/** How many pages a search for one older message may load before giving up. */
const SEEK_PAGES = 10;
/** How close to the top of the log older messages start loading. */
export const NEAR_TOP_PX = 240;

const log = $("log");

export function updateHistoryTop(room) {
  const top = room.top;
  const canLoad = room.canLoadOlder;
  const key = room.loadingOlder ? "loading" : canLoad ? "more" : "start";
  if (top.dataset.state === key) return;
  top.dataset.state = key;
  if (key === "more") {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link-button load-older";
    button.textContent = "Load older messages";
    button.addEventListener("click", () => loadOlder(room));
    top.replaceChildren(button);
  } else if (key === "loading") {
    top.textContent = "Loading older messages…";
  } else if (room.direct) {
    top.textContent = "This is the beginning of your conversation.";
  } else {
    top.replaceChildren("This is the beginning of ", hashName(room.name), ".");
  }
}

export function loadOlder(room) {
  if (room.loadingOlder || !room.canLoadOlder || room.status !== "joined") return;
  if (room.backlogRemaining > 0) return; // the join's own history is still arriving
  if (!connection.isOpen) return;
  requestPage(room, room.minId !== Infinity ? room.minId : undefined);
  updateHistoryTop(room);
}

/** Ask for the page of messages before ID `before`; without it, the room's newest page. */
export function requestPage(room, before) {
  const frame = { Type: "History", Room: room.name, Limit: HISTORY_PAGE };
  if (before !== undefined) frame.Before = before;
  room.loadingOlder = true;
  request("history", frame, { room: room.name });
}

/** Keep loading history while the log does not fill the screen (nothing to scroll yet). */
export function fillViewport(room) {
  if (room.canLoadOlder && log.scrollHeight <= log.clientHeight + NEAR_TOP_PX) {
    loadOlder(room);
  }
}

/**
 * Page back until message `id` is held, then call `found()`; `missing()` when the room's
 * history has no such message (deleted, say) or it is too far back.
 */
export function seekOlder(room, id, found, missing) {
  room.seek = { id, found, missing, pages: 0 };
  pageArrived(room);
}

/** A page came (or a seek began): carry on with the search, if there is one. */
export function pageArrived(room) {
  const seek = room.seek;
  if (!seek) return;
  const entry = room.entries.get(seek.id);
  if (entry) {
    room.seek = null;
    seek.found();
  } else if (!entry && room.canLoadOlder && room.minId > seek.id && seek.pages < SEEK_PAGES) {
    seek.pages += 1;
    if (!room.loadingOlder) loadOlder(room);
    if (!room.loadingOlder) {
      room.seek = null; // the room cannot ask now (joining, offline)
      seek.missing();
    }
  } else {
    room.seek = null;
    seek.missing();
  }
}

/** The server refused a History request: the room may ask again. */
export function historyRefused(req) {
  const room = state.rooms.get(req.room);
  if (!room) return;
  room.loadingOlder = false;
  if (room.seek) {
    const { missing } = room.seek;
    room.seek = null;
    missing();
  }
}
