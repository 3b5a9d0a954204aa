// The actions on a message, in a small bar on the line under the pointer or the focus (after a
// long press on a touch screen): react, reply, reply in a thread (or open it), edit (one's own
// lines) and delete (one's own, or any for the room's owner, moderators and admins), after a
// confirmation; for moderators, a menu to kick, ban or mute the author (person_menu.js). Only
// what this user may do is offered.
//
// Keyboard: in a message list ↑/↓ move from line to line (from the list itself: the lines in
// view), Home/End go to the first/last line, Tab reaches the focused line's actions, Esc goes
// back to the message box.

import { showAlert } from "./alerts.js";
import { $ } from "./dom.js";
import { entryOf, mayDelete, mayEdit } from "./entries.js";
import { startEdit } from "./edits.js";
import { ready, request } from "./link.js";
import { openMenu as openPersonMenu } from "./person_menu.js";
import { openPicker } from "./reactions.js";
import { startReply } from "./replies.js";
import { maySanction } from "./roles.js";
import { currentRoom, state } from "./store.js";
import { openThread } from "./thread.js";

const LONG_PRESS_MS = 500;
const MOVE_PX = 10;
const SVG = "http://www.w3.org/2000/svg";

const ui = {
  log: $("log"),
  threadLog: $("thread-log"),
  threadList: $("thread-list"),
  input: $("composer-input"),
  threadInput: $("thread-input"),
  picker: $("emoji-picker"),
  confirm: $("confirm-delete"),
  confirmText: $("confirm-text"),
};

// [action, label, SVG path]
const ACTIONS = [
  [
    "react",
    "Add a reaction",
    "M12 3.5a8.5 8.5 0 1 0 0 17 8.5 8.5 0 0 0 0-17zM8.5 14.5c.9 1.3 2.1 2 3.5 2s2.6-.7 3.5-2M9 9.5h.01M15 9.5h.01",
  ],
  ["reply", "Reply", "M10 7 5 12l5 5M5.5 12H14a5 5 0 0 1 5 5v2"],
  ["thread", "Reply in a thread", "M4 5h16v11H10l-5 4v-4H4z"],
  ["edit", "Edit", "M4 20h4L19 9l-4-4L4 16zM13.5 6.5l4 4"],
  ["delete", "Delete", "M5 7h14M10 7V4h4v3M7 7l1 13h8l1-13"],
  ["moderate", "Moderate the author", "M12 3l7 3v6c0 4.5-3 7.5-7 9-4-1.5-7-4.5-7-9V6z"],
];

const bar = buildBar();
/** The line the bar is on, and the one whose bar a long press opened. */
let barLine = null;
let menuLine = null;

function buildBar() {
  const element = document.createElement("div");
  element.className = "msg-actions";
  element.setAttribute("role", "group");
  element.setAttribute("aria-label", "Message actions");
  for (const [action, label, path] of ACTIONS) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "icon-button small";
    button.dataset.action = action;
    button.setAttribute("aria-label", label);
    button.title = label;
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    const shape = document.createElementNS(SVG, "path");
    shape.setAttribute("d", path);
    svg.append(shape);
    button.append(svg);
    element.append(button);
  }
  return element;
}

/** The room and entry of a line, and whether it is in the thread panel; null for others. */
function lineContext(li) {
  const inThread = ui.threadList.contains(li);
  const room = inThread ? state.rooms.get(ui.threadList.dataset.room) : currentRoom();
  const entry = room && li.dataset.id ? entryOf(room, li.dataset.id) : null;
  return entry ? { room, entry, inThread } : null;
}

/** Put the bar on line `li`, with the actions this user may take there. */
function attach(li) {
  const context = lineContext(li);
  if (!context) return;
  const { room, entry, inThread } = context;
  if (barLine !== li) li.prepend(bar);
  barLine = li;
  const allowed = {
    react: true,
    reply: !inThread,
    thread: !inThread && entry.thread === null,
    edit: mayEdit(room, entry) && !li.classList.contains("editing"),
    delete: mayDelete(room, entry),
    moderate: !inThread && maySanction(room, entry.author),
  };
  for (const button of bar.querySelectorAll("button[data-action]")) {
    button.hidden = !allowed[button.dataset.action];
  }
  const thread = bar.querySelector('[data-action="thread"]');
  const label = entry.replies > 0 ? "Open the thread" : "Reply in a thread";
  thread.setAttribute("aria-label", label);
  thread.title = label;
}

/** The bar stays where it is while its picker or its long-press menu is open. */
const busy = () => !ui.picker.hidden || menuLine !== null;

bar.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action]");
  const li = barLine;
  const context = li && lineContext(li);
  if (!button || !context) return;
  const { room, entry } = context;
  const action = button.dataset.action;
  if (action !== "react") closeMenu();
  if (action === "react") openPicker(room, entry, button);
  else if (action === "reply") startReply(room, entry);
  else if (action === "thread") openThread(room, entry.id);
  else if (action === "edit") startEdit(room, entry, li);
  else if (action === "delete") confirmDelete(room, entry, li);
  else if (action === "moderate") openPersonMenu(button, entry.author);
  if (barLine === li) attach(li); // what is offered may have changed (an editor opened)
});

// -- deleting ------------------------------------------------------------------------------

/** The deletion waiting for the confirmation: {room, id, li}, or null. */
let deleting = null;

function confirmDelete(room, entry, li) {
  if (!ready()) {
    showAlert("Not connected: try again once the connection is back.");
    return;
  }
  deleting = { room, id: entry.id, li };
  const text = [...entry.text.replace(/\s+/g, " ")].slice(0, 140).join("");
  const author = document.createElement("bdi");
  author.textContent = entry.author;
  ui.confirmText.replaceChildren(author, `: ${text}`);
  ui.confirm.returnValue = "";
  ui.confirm.showModal();
}

ui.confirm.addEventListener("close", () => {
  const job = deleting;
  deleting = null;
  if (!job) return;
  if (ui.confirm.returnValue !== "delete") {
    if (job.li.isConnected) focusLine(job.li);
    return;
  }
  const frame = { Type: "Delete", Room: job.room.name, Target: job.id };
  request("delete", frame, { room: job.room.name });
  const neighbour = sibling(job.li, 1) ?? sibling(job.li, -1);
  if (neighbour) focusLine(neighbour);
  else (ui.threadList.contains(job.li) ? ui.threadInput : ui.input).focus();
});

function sibling(li, step) {
  let next = step > 0 ? li.nextElementSibling : li.previousElementSibling;
  while (next && !next.matches("li.msg[data-id]")) {
    next = step > 0 ? next.nextElementSibling : next.previousElementSibling;
  }
  return next;
}

// -- pointer, touch and keyboard -----------------------------------------------------------

function focusLine(li) {
  li.tabIndex = -1;
  li.focus({ preventScroll: true });
  li.scrollIntoView({ block: "nearest" });
}

/** The lines of `lines` inside the visible part of `container`. */
function inView(container, lines) {
  const box = container.getBoundingClientRect();
  return lines.filter((li) => {
    const r = li.getBoundingClientRect();
    return r.bottom > box.top && r.top < box.bottom;
  });
}

function onListKey(event) {
  if (event.target.closest("textarea, input")) return;
  const container = event.currentTarget;
  const list = container === ui.log ? currentRoom()?.list : ui.threadList;
  const lines = list ? [...list.querySelectorAll("li.msg[data-id]")] : [];
  if (lines.length === 0) return;
  const li = event.target.closest("li.msg[data-id]");
  const index = li ? lines.indexOf(li) : -1;
  let to = null;
  if (event.key === "ArrowUp") to = li ? lines[index - 1] : inView(container, lines).at(-1);
  else if (event.key === "ArrowDown") to = li ? lines[index + 1] : inView(container, lines)[0];
  else if (event.key === "Home" && li) to = lines[0];
  else if (event.key === "End" && li) to = lines.at(-1);
  else if (event.key === "Tab" && !event.shiftKey && event.target === li) attach(li);
  else if (event.key === "Escape" && li) {
    event.preventDefault();
    event.stopPropagation();
    closeMenu();
    (container === ui.log ? ui.input : ui.threadInput).focus();
  }
  if (!to || event.altKey || event.ctrlKey || event.metaKey) return;
  event.preventDefault();
  focusLine(to);
}

/** A long press on a touch screen opens the line's actions (there is no hover to show them). */
let press = null;

function cancelPress() {
  if (press) clearTimeout(press.timer);
  press = null;
}

function openMenu(li) {
  closeMenu();
  attach(li);
  if (barLine !== li) return;
  menuLine = li;
  li.classList.add("actions-open");
  bar.querySelector("button:not([hidden])")?.focus({ preventScroll: true });
}

function closeMenu() {
  menuLine?.classList.remove("actions-open");
  menuLine = null;
}

for (const container of [ui.log, ui.threadLog]) {
  container.addEventListener("keydown", onListKey);
  container.addEventListener("focusin", (event) => {
    const li = event.target.closest("li.msg[data-id]");
    if (li && li !== barLine) attach(li);
  });
  container.addEventListener("pointerover", (event) => {
    if (event.pointerType !== "mouse" || busy()) return;
    const li = event.target.closest("li.msg[data-id]");
    if (li && li !== barLine) attach(li);
  });
  container.addEventListener("pointerdown", (event) => {
    if (event.pointerType !== "touch") return;
    const li = event.target.closest("li.msg[data-id]");
    if (!li || event.target.closest("button, a, textarea")) return;
    cancelPress();
    const timer = setTimeout(() => {
      press = null;
      openMenu(li);
    }, LONG_PRESS_MS);
    press = { x: event.clientX, y: event.clientY, timer };
  });
  container.addEventListener("pointermove", (event) => {
    if (press && Math.hypot(event.clientX - press.x, event.clientY - press.y) > MOVE_PX) {
      cancelPress();
    }
  });
  container.addEventListener("pointerup", cancelPress);
  container.addEventListener("pointercancel", cancelPress);
  container.addEventListener("scroll", cancelPress, { passive: true });
  // The browser's own long-press menu would cover the actions.
  container.addEventListener("contextmenu", (event) => {
    if (menuLine?.contains(event.target) || press) event.preventDefault();
  });
}
document.addEventListener("pointerdown", (event) => {
  if (menuLine && !bar.contains(event.target) && !ui.picker.contains(event.target)) closeMenu();
});
