// Searching the rooms this person may read: a dialog opened by the search button, Ctrl+K (⌘K)
// or "/" (outside text fields; in the message box "/" starts a command), closed by Esc, which
// gives the focus back where it was.
//
// The query goes as {"Type":"Search","Query":Q,"Room":R?,"Ref":x} (R: "this room only") while
// the person types; the Results frame's lines are listed grouped by room, each with its author,
// time and highlight: segments of its text, [text, matched], built as text nodes and <mark>
// elements, never as markup. A room's "more" asks for its lines before the lowest ID shown
// (Room and Before). ↑/↓ move through the results (the input keeps the focus, the active one is
// its aria-activedescendant), Enter opens one: its room, at that line (around.js).

import { openAt } from "./around.js";
import { decodeText } from "./codec.js";
import { $, hashName, timeElement } from "./dom.js";
import { frameDate } from "./format.js";
import { connection, ready, request } from "./link.js";
import { currentRoom, state } from "./store.js";

const TYPING_PAUSE_MS = 250;
const PAGE = 20;
/** The text before the first match is cut to this many characters. */
const LEAD_CHARS = 60;
const SNIPPET_CHARS = 280;

const ui = {
  button: $("open-search"),
  dialog: $("search"),
  form: $("search-form"),
  input: $("search-input"),
  close: $("search-close"),
  roomOnly: $("search-room-only"),
  roomOnlyLabel: $("search-room-only-label"),
  status: $("search-status"),
  results: $("search-results"),
  composer: $("composer-input"),
};

/** The element that had the focus before the dialog opened. */
let opener = null;
/** The search on screen: its Ref (answers to older ones are dropped), query, answer come. */
let current = { ref: null, query: "", answered: false };
/** The results on screen, by room: {room, minId, more, element, moreOption, ids}. */
const groups = new Map();
let typingTimer = 0;
let optionCount = 0;

export function openSearch() {
  if (ui.dialog.open) {
    ui.input.select();
    return;
  }
  opener = document.activeElement;
  const room = currentRoom();
  ui.roomOnlyLabel.replaceChildren("Only in ", room ? room.label : "this room");
  ui.dialog.showModal();
  ui.input.select();
}

function closeSearch({ restoreFocus = true } = {}) {
  if (!ui.dialog.open) return;
  ui.dialog.close();
  clearTimeout(typingTimer);
  if (!restoreFocus) return;
  const back = opener?.isConnected && opener !== document.body ? opener : ui.composer;
  back.focus();
}

// -- asking --------------------------------------------------------------------------------------

function setStatus(text, kind = "info") {
  ui.status.textContent = text;
  ui.status.dataset.kind = kind;
}

/** Search for what the input says, from the start. */
function runSearch() {
  clearTimeout(typingTimer);
  const query = ui.input.value.trim();
  groups.clear();
  ui.results.replaceChildren();
  setActive(null);
  ui.input.setAttribute("aria-expanded", "false");
  current = { ref: null, query, answered: false };
  if (!query) {
    setStatus("");
    return;
  }
  if (!ready()) {
    setStatus("Not connected: try again once the connection is back.", "error");
    return;
  }
  const frame = { Type: "Search", Query: query, Limit: PAGE };
  const room = ui.roomOnly.checked ? currentRoom() : null;
  if (room) frame.Room = room.name;
  current.ref = request("search", frame, { query });
  setStatus("Searching…");
}

/** The next page of one room's results. */
function loadMore(group) {
  if (!ready() || group.loading) return;
  group.loading = true;
  group.moreOption.textContent = "Loading…";
  const frame = {
    Type: "Search",
    Query: current.query,
    Room: group.room,
    Before: group.minId,
    Limit: PAGE,
  };
  request("search", frame, { query: current.query, more: group.room, of: current.ref });
}

/** A Results frame: the search on screen, or more of one room's lines. */
export function onResults(frame) {
  const req = frame.Ref != null ? state.requests.get(frame.Ref) : null;
  if (req?.kind !== "search") return;
  state.requests.delete(frame.Ref);
  const messages = Array.isArray(frame.Messages) ? frame.Messages : [];
  if (req.more) {
    const group = groups.get(req.more);
    if (req.of !== current.ref || !group) return;
    group.loading = false;
    addResults(messages, Boolean(frame.More));
    renderMore(group, Boolean(frame.More));
    return;
  }
  if (frame.Ref !== current.ref) return;
  current.answered = true;
  addResults(messages, Boolean(frame.More));
  const count = messages.length;
  setStatus(count === 0 ? "No messages found." : `${count}${frame.More ? "+" : ""} found.`);
  ui.input.setAttribute("aria-expanded", String(count > 0));
}

/** An Error answering a search: shown in the dialog. */
export function searchRefused(req, message) {
  const group = req.more ? groups.get(req.more) : null;
  if (group) {
    group.loading = false;
    renderMore(group, true);
  }
  const ours = req.more ? req.of === current.ref : req.query === current.query;
  if (!ours) return;
  if (!req.more) current.answered = true;
  setStatus(message, "error");
}

// A search on its way when the connection drops gets no answer.
connection.addEventListener("closed", () => {
  if (current.ref === null || current.answered) return;
  current.answered = true;
  setStatus("The connection was lost: search again once it is back.", "error");
});

// -- the results ---------------------------------------------------------------------------------

function roomLabel(name) {
  const room = state.rooms.get(name);
  if (room?.direct) return room.label;
  if (/^dm\./.test(name)) return "Direct conversation";
  return hashName(name);
}

function groupOf(name, more) {
  let group = groups.get(name);
  if (group) return group;
  const element = document.createElement("div");
  element.className = "search-group";
  element.setAttribute("role", "group");
  const heading = document.createElement("div");
  heading.className = "search-room";
  heading.id = `search-room-${groups.size}`;
  heading.setAttribute("role", "presentation");
  heading.append(roomLabel(name));
  element.setAttribute("aria-labelledby", heading.id);
  const moreOption = option("search-more");
  moreOption.dataset.room = name;
  element.append(heading, moreOption);
  ui.results.append(element);
  group = { room: name, minId: Infinity, more, element, moreOption, ids: new Set() };
  group.loading = false;
  groups.set(name, group);
  renderMore(group, more);
  return group;
}

function renderMore(group, more) {
  group.more = more;
  group.moreOption.hidden = !more;
  group.moreOption.replaceChildren("More in ", roomLabel(group.room));
  if (!more && ui.input.getAttribute("aria-activedescendant") === group.moreOption.id) {
    setActive(null);
  }
}

function option(className) {
  const element = document.createElement("div");
  element.className = className;
  element.id = `search-option-${(optionCount += 1)}`;
  element.setAttribute("role", "option");
  element.setAttribute("aria-selected", "false");
  element.addEventListener("click", () => openResult(element));
  // The input keeps the focus (and the keyboard) while the pointer picks.
  element.addEventListener("mousedown", (event) => event.preventDefault());
  return element;
}

function addResults(messages, more) {
  for (const frame of messages) {
    if (typeof frame?.Room !== "string" || !Number.isSafeInteger(frame.ID)) continue;
    const group = groupOf(frame.Room, more);
    if (group.ids.has(frame.ID)) continue;
    group.ids.add(frame.ID);
    group.minId = Math.min(group.minId, frame.ID);
    group.moreOption.before(resultOption(frame));
  }
}

function resultOption(frame) {
  const element = option("search-result");
  element.dataset.room = frame.Room;
  element.dataset.id = String(frame.ID);
  const thread = Number.isSafeInteger(frame.Thread) ? frame.Thread : null;
  if (thread !== null) element.dataset.thread = String(thread);
  const meta = document.createElement("div");
  meta.className = "search-meta";
  const author = document.createElement("bdi");
  author.className = "author";
  author.textContent = typeof frame.Author === "string" ? frame.Author : "anonymous";
  const when = timeElement(frameDate(frame));
  when.textContent = when.title;
  meta.append(author, " ", when);
  if (thread !== null) {
    const where = document.createElement("span");
    where.className = "search-where";
    where.textContent = "in a thread";
    meta.append(" ", where);
  }
  const text = document.createElement("div");
  text.className = "search-text";
  text.dir = "auto";
  text.append(...highlighted(frame));
  element.append(meta, text);
  const files = Array.isArray(frame.Attachments) ? frame.Attachments : [];
  const names = files.map((file) => file?.Name).filter((name) => typeof name === "string");
  if (names.length > 0) {
    const line = document.createElement("div");
    line.className = "search-files";
    line.textContent = names.join(", ");
    element.append(line);
  }
  return element;
}

/** The segments of a result's Highlight, checked, or its whole text unmarked. */
function segmentsOf(frame) {
  const valid =
    Array.isArray(frame.Highlight) &&
    frame.Highlight.every((part) => Array.isArray(part) && typeof part[0] === "string");
  if (valid) return frame.Highlight.map(([text, matched]) => [text, matched === true]);
  return [[decodeText(frame.Message), false]];
}

/** Text nodes and <mark>s: the first match stays near the start, the whole stays short. */
export function highlighted(frame) {
  const parts = [];
  let budget = SNIPPET_CHARS;
  let beforeMatch = true;
  for (const [raw, matched] of segmentsOf(frame)) {
    if (budget <= 0) break;
    let text = raw.replace(/\s+/g, " ");
    if (beforeMatch && !matched && [...text].length > LEAD_CHARS) {
      text = `…${[...text].slice(-LEAD_CHARS).join("")}`;
    }
    beforeMatch &&= !matched;
    const chars = [...text];
    if (chars.length > budget) text = `${chars.slice(0, budget).join("")}…`;
    budget -= chars.length;
    if (matched) {
      const mark = document.createElement("mark");
      mark.textContent = text;
      parts.push(mark);
    } else {
      parts.push(document.createTextNode(text));
    }
  }
  return parts;
}

function openResult(element) {
  if (element.classList.contains("search-more")) {
    loadMore(groups.get(element.dataset.room));
    return;
  }
  const thread = element.dataset.thread ? Number(element.dataset.thread) : null;
  closeSearch({ restoreFocus: false });
  if (!openAt(element.dataset.room, Number(element.dataset.id), thread)) opener?.focus();
}

// -- keyboard ------------------------------------------------------------------------------------

const visibleOptions = () => [...ui.results.querySelectorAll("[role=option]:not([hidden])")];

function setActive(element) {
  for (const old of ui.results.querySelectorAll("[role=option][aria-selected=true]")) {
    old.setAttribute("aria-selected", "false");
  }
  if (!element) {
    ui.input.removeAttribute("aria-activedescendant");
    return;
  }
  element.setAttribute("aria-selected", "true");
  ui.input.setAttribute("aria-activedescendant", element.id);
  element.scrollIntoView({ block: "nearest" });
}

function moveActive(step) {
  const options = visibleOptions();
  if (options.length === 0) return;
  const active = ui.results.querySelector("[role=option][aria-selected=true]");
  const index = options.indexOf(active);
  const next = index < 0 ? (step > 0 ? 0 : options.length - 1) : index + step;
  setActive(options[Math.max(0, Math.min(options.length - 1, next))]);
}

ui.input.addEventListener("keydown", (event) => {
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    moveActive(event.key === "ArrowDown" ? 1 : -1);
  } else if (event.key === "Enter") {
    event.preventDefault();
    const active = ui.results.querySelector("[role=option][aria-selected=true]");
    if (active) openResult(active);
    else runSearch();
  }
});
ui.input.addEventListener("input", () => {
  clearTimeout(typingTimer);
  typingTimer = setTimeout(runSearch, TYPING_PAUSE_MS);
});
ui.form.addEventListener("submit", (event) => event.preventDefault());
ui.roomOnly.addEventListener("change", runSearch);
/** Tab and Shift+Tab go round the dialog's controls, never out of it. */
function trapTab(event) {
  const controls = [...ui.dialog.querySelectorAll("input, button")].filter((c) => !c.hidden);
  const edge = event.shiftKey ? controls[0] : controls.at(-1);
  if (document.activeElement !== edge && controls.includes(document.activeElement)) return;
  event.preventDefault();
  (event.shiftKey ? controls.at(-1) : controls[0]).focus();
}

ui.dialog.addEventListener("keydown", (event) => {
  if (event.key === "Tab") trapTab(event);
  if (event.key !== "Escape") return;
  event.preventDefault();
  event.stopPropagation();
  closeSearch();
});
// A click on the backdrop, outside the dialog's box, closes it.
ui.dialog.addEventListener("click", (event) => {
  const box = ui.dialog.getBoundingClientRect();
  const { clientX: x, clientY: y } = event;
  const outside = x < box.left || x > box.right || y < box.top || y > box.bottom;
  if (event.target === ui.dialog && outside) closeSearch();
});
ui.close.addEventListener("click", () => closeSearch());
ui.button.addEventListener("click", openSearch);

/** Is the focus where "/" is typed as text? */
const TEXT_FIELDS = "input, textarea, select, [contenteditable]:not([contenteditable=false])";
const inTextField = (target) => target instanceof Element && target.closest(TEXT_FIELDS) !== null;

document.addEventListener("keydown", (event) => {
  const modified = event.ctrlKey || event.metaKey;
  const ctrlK = modified && !event.altKey && event.key.toLowerCase() === "k";
  const slash = event.key === "/" && !modified && !event.altKey && !inTextField(event.target);
  if (!ctrlK && !slash) return;
  event.preventDefault();
  openSearch();
});
