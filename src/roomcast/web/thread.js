// The thread panel beside the room: one thread at a time, its root and replies (fetched with
// {"Type":"History","Thread":I}, older replies page in on demand), live replies as they come,
// and its own message box, whose lines carry "Thread": I. The room's list never shows a
// thread's replies; their root there shows how many it has, and opens the panel.

import { showAlert } from "./alerts.js";
import { parseInput } from "./commands.js";
import { completeNames } from "./complete.js";
import { $ } from "./dom.js";
import { entryFrom, takeState } from "./entries.js";
import { countChars, MAX_TEXT_CHARS, overLimit, recount } from "./limits.js";
import { ready, request } from "./link.js";
import { decorate, refreshLine, renderLine } from "./line.js";
import { sendLine } from "./outbox.js";
import { currentRoom, state, watch } from "./store.js";
import { typed } from "./typing.js";

const PAGE = 50;
const NEAR_BOTTOM_PX = 48;

const ui = {
  app: $("app"),
  panel: $("thread-panel"),
  close: $("thread-close"),
  log: $("thread-log"),
  top: $("thread-top"),
  list: $("thread-list"),
  pending: $("thread-pending"),
  form: $("thread-composer"),
  input: $("thread-input"),
};

/** The thread on screen: {room, rootId, ref, minId, hasMore, loading}, or null. */
let open = null;

/** The thread whose root is message `rootId` of `room`, in the panel. */
export function openThread(room, rootId) {
  if (open?.room === room.name && open.rootId === rootId) {
    focusPanel();
    return;
  }
  open = { room: room.name, rootId, ref: null, minId: Infinity, hasMore: false, loading: true };
  ui.list.dataset.room = room.name;
  ui.list.replaceChildren();
  ui.pending.replaceChildren();
  const root = room.entries.get(rootId);
  if (root) ui.list.append(renderLine(room, root, { inThread: true }));
  ui.top.textContent = "Loading the thread…";
  ui.panel.hidden = false;
  ui.app.dataset.thread = "open";
  askPage(room);
  focusPanel();
}

/** Close the panel; the focus goes back to the root in the room's list (or the message box). */
export function closeThread() {
  if (!open) return;
  const room = state.rooms.get(open.room);
  const hadFocus = ui.panel.contains(document.activeElement);
  const rootId = open.rootId;
  open = null;
  ui.panel.hidden = true;
  ui.app.dataset.thread = "none";
  delete ui.list.dataset.room;
  ui.list.replaceChildren();
  ui.pending.replaceChildren();
  if (!hadFocus) return;
  const root = room?.list.querySelector(`li.msg[data-id="${rootId}"]`);
  if (root) {
    root.tabIndex = -1;
    root.focus();
  } else {
    $("composer-input").focus();
  }
}

export const threadOpen = () => open !== null;

function focusPanel() {
  if (matchMedia("(pointer: fine)").matches) ui.input.focus();
  else ui.close.focus();
}

function askPage(room, before) {
  const frame = { Type: "History", Room: room.name, Thread: open.rootId, Limit: PAGE };
  if (before !== undefined) frame.Before = before;
  open.loading = true;
  open.ref = ready() ? request("thread", frame, { room: room.name, thread: open.rootId }) : null;
}

/** A page of the thread: new lines go in ID order, the ones held show their current state. */
export function onThreadHistory(frame) {
  if (frame.Ref) state.requests.delete(frame.Ref);
  const room = state.rooms.get(frame.Room);
  if (!room || open?.room !== room.name || open.rootId !== frame.Thread) return;
  const firstPage = open.minId === Infinity;
  const fromBottom = ui.log.scrollHeight - ui.log.scrollTop;
  open.loading = false;
  const frames = (Array.isArray(frame.Messages) ? frame.Messages : []).filter((f) =>
    Number.isSafeInteger(f.ID),
  );
  for (const item of frames) {
    let entry = room.entries.get(item.ID);
    if (entry) {
      takeState(entry, item, room.maxId);
      refreshLine(room, entry);
    } else {
      entry = entryFrom(item, room.maxId);
      room.entries.set(entry.id, entry);
    }
    if (entry.id !== open.rootId) open.minId = Math.min(open.minId, entry.id);
    if (!ui.list.querySelector(`li.msg[data-id="${entry.id}"]`)) insert(room, entry);
  }
  open.hasMore = Boolean(frame.More) && frames.some((f) => f.ID !== open.rootId);
  renderTop(room);
  if (firstPage) ui.log.scrollTop = ui.log.scrollHeight;
  else ui.log.scrollTop = ui.log.scrollHeight - fromBottom;
}

/** The server refused the thread (its root was deleted, say): close the panel. */
export function threadRefused(req) {
  if (open?.room === req.room && open.rootId === req.thread) closeThread();
}

function renderTop(room) {
  if (!open.hasMore) {
    ui.top.replaceChildren();
    return;
  }
  const button = document.createElement("button");
  button.type = "button";
  button.className = "link-button load-older";
  button.textContent = "Load earlier replies";
  button.addEventListener("click", () => {
    if (open?.room !== room.name || open.loading) return;
    askPage(room, open.minId);
    ui.top.textContent = "Loading earlier replies…";
  });
  ui.top.replaceChildren(button);
}

function insert(room, entry) {
  const li = renderLine(room, entry, { inThread: true });
  let after = ui.list.lastElementChild;
  while (after && Number(after.dataset.id) > entry.id) after = after.previousElementSibling;
  if (after) after.after(li);
  else ui.list.prepend(li);
  decorate(li);
  decorate(li.nextElementSibling);
}

/** A live line of a thread: in the panel when that thread is open. */
export function showThreadLine(room, entry) {
  if (open?.room !== room.name || open.rootId !== entry.thread) return;
  const atBottom = ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < NEAR_BOTTOM_PX;
  insert(room, entry);
  if (atBottom || room.ownIds.has(entry.id)) ui.log.scrollTop = ui.log.scrollHeight;
}

/** A deleted line: when it was the open thread's root, the thread is gone. */
export function threadLineDeleted(room, entry) {
  if (open?.room !== room.name || open.rootId !== entry.id) return;
  closeThread();
  showAlert("The thread's first message was deleted.");
}

function submit() {
  const room = state.rooms.get(open?.room);
  if (!room) return;
  const command = parseInput(ui.input.value);
  if (command.kind === "empty") return;
  if (command.kind !== "say" && command.kind !== "me") {
    showAlert("Commands go in the room's message box, not in a thread.");
    return;
  }
  const text = command.kind === "me" ? `/me ${command.text}` : command.text;
  const tooLong = overLimit(text, MAX_TEXT_CHARS, "A message");
  if (tooLong) {
    showAlert(tooLong, { key: "too-long" });
    return;
  }
  sendLine(room, text, { thread: open.rootId, list: ui.pending });
  ui.input.value = "";
  recount(ui.input);
  autosize();
  typed(room, "");
  ui.log.scrollTop = ui.log.scrollHeight;
}

function autosize() {
  ui.input.style.height = "auto";
  ui.input.style.height = `${ui.input.scrollHeight}px`;
}

ui.input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
    event.preventDefault();
    submit();
  }
});
completeNames(ui.input, () => state.rooms.get(open?.room)?.users ?? []);
countChars(ui.input, MAX_TEXT_CHARS);
ui.input.addEventListener("input", () => {
  autosize();
  const room = state.rooms.get(open?.room);
  if (room) typed(room, ui.input.value);
});
ui.form.addEventListener("submit", (event) => {
  event.preventDefault();
  submit();
  ui.input.focus();
});
ui.close.addEventListener("click", closeThread);
ui.panel.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !event.defaultPrevented) {
    event.preventDefault();
    event.stopPropagation();
    closeThread();
  }
});
// The reply count under a root in the room's list opens its thread.
$("log").addEventListener("click", (event) => {
  const summary = event.target.closest("button.thread-summary");
  const li = summary?.closest("li.msg[data-id]");
  const room = currentRoom();
  if (li && room) openThread(room, Number(li.dataset.id));
});
// Another room on screen, or this one left: its thread goes.
watch("current", () => {
  if (open && open.room !== state.current) closeThread();
});
watch("membership", () => {
  if (!open) return;
  const room = state.rooms.get(open.room);
  if (!room) closeThread();
  else if (open.loading && room.status === "joined" && !state.requests.has(open.ref)) {
    askPage(room, open.minId === Infinity ? undefined : open.minId);
  }
});
