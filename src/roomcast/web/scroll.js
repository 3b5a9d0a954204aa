// Following the conversation: the log stays at the newest line while the reader is there,
// lines read at the bottom are read (unread.js clears the counts and tells the server), and the
// "new messages" marker shows how many arrived while the reader was scrolled up. Scrolling near
// the top pages in history.

import { $ } from "./dom.js";
import { fillViewport, loadOlder, NEAR_TOP_PX } from "./history.js";
import { currentRoom, watch } from "./store.js";
import { beingRead, readAll } from "./unread.js";

const NEAR_BOTTOM_PX = 48;

const ui = {
  log: $("log"),
  newMarker: $("new-marker"),
  newMarkerText: $("new-marker-text"),
  input: $("composer-input"),
};

let stickScheduled = false;

/** Follow the newest line of `room` (once, at the next frame, however many lines arrive). */
export function stickToBottom(room) {
  room.atBottom = true;
  if (stickScheduled) return;
  stickScheduled = true;
  const run = () => {
    stickScheduled = false;
    const current = currentRoom();
    if (current?.atBottom) {
      ui.log.scrollTop = ui.log.scrollHeight;
      markRead(current);
    }
    if (current) fillViewport(current);
  };
  if (document.hidden) setTimeout(run, 50);
  else requestAnimationFrame(run);
}

/** Everything in the room on screen has been seen, if the reader is at its bottom. */
export function markRead(room) {
  if (!beingRead(room)) return;
  readAll(room);
  renderMarker();
}

export function renderMarker() {
  const room = currentRoom();
  const count = room && !room.atBottom ? room.unread : 0;
  ui.newMarker.hidden = count === 0;
  ui.newMarkerText.textContent = count === 1 ? "1 new message" : `${count} new messages`;
}

// The log's last scroll position. A scroll that did not move up leaves a room that follows the
// newest line following it: the event of our own jump to the bottom can come after more lines
// were added (a join's backlog, a burst), and a smooth scroll reports the positions on its way.
let lastLogTop = 0;

ui.log.addEventListener(
  "scroll",
  () => {
    const movedUp = ui.log.scrollTop < lastLogTop;
    lastLogTop = ui.log.scrollTop;
    const room = currentRoom();
    if (!room) return;
    // While a jump to the newest line is pending (a join's backlog just rendered), the position
    // this event reports is about to change: it is not the reader scrolling to the top.
    const jumpPending = stickScheduled && room.atBottom;
    if (movedUp || !room.atBottom) {
      const fromBottom = ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight;
      room.atBottom = fromBottom < NEAR_BOTTOM_PX;
    }
    if (room.atBottom) markRead(room);
    if (ui.log.scrollTop < NEAR_TOP_PX && !jumpPending) loadOlder(room);
  },
  { passive: true },
);

watch("rooms", renderMarker);

// A resized window (phone rotated, keyboard shown) keeps the newest line in view.
new ResizeObserver(() => {
  const room = currentRoom();
  if (room?.atBottom) ui.log.scrollTop = ui.log.scrollHeight;
}).observe(ui.log);

ui.newMarker.addEventListener("click", () => {
  const room = currentRoom();
  if (!room) return;
  ui.log.scrollTo({ top: ui.log.scrollHeight, behavior: "smooth" });
  room.atBottom = true;
  markRead(room);
  ui.input.focus();
});
