// The message list of each room: stored lines in ID order (live ones and history pages), the
// notices this client adds (joins, leaves, renames, help), day separators and the grouping of
// consecutive lines by one author.

import { decodeText } from "./codec.js";
import { actionText, HELP } from "./commands.js";
import { $, avatar, messageBody, timeElement } from "./dom.js";
import { formatDay, frameDate, hueFor, linkify, mentions, sameDay } from "./format.js";
import { fillViewport, updateHistoryTop } from "./history.js";
import { dropPending } from "./outbox.js";
import { renderMarker, stickToBottom } from "./scroll.js";
import { changed, currentRoom, state } from "./store.js";

const GROUP_GAP_MS = 5 * 60_000;

const log = $("log");

export function onChat(frame) {
  const room = state.rooms.get(frame.Room ?? state.link.firstRoom);
  if (!room) return;
  addMessage(room, frame);
  if (room.backlogRemaining > 0) {
    room.backlogRemaining -= 1;
    if (room.backlogRemaining === 0 && room === currentRoom()) fillViewport(room);
  }
}

export function onHistory(frame) {
  if (frame.Ref) state.requests.delete(frame.Ref);
  const room = state.rooms.get(frame.Room);
  if (!room) return;
  room.loadingOlder = false;
  const messages = Array.isArray(frame.Messages) ? frame.Messages : [];
  prependHistory(room, messages);
  room.hasMore = Boolean(frame.More) && messages.length > 0;
  updateHistoryTop(room);
  if (room === currentRoom()) fillViewport(room);
}

function addMessage(room, frame) {
  const id = Number(frame.ID);
  const hasId = Number.isSafeInteger(id) && id > 0;
  if (hasId && room.ids.has(id)) return;
  const li = renderMessage(frame);
  if (hasId) {
    room.ids.add(id);
    if (id > room.maxId || room.maxId === 0) room.list.append(li);
    else insertInOrder(room, li, id);
    room.maxId = Math.max(room.maxId, id);
    room.minId = Math.min(room.minId, id);
    const acked = state.ackedIds.get(`${room.name}\n${id}`);
    if (acked) dropPending(acked);
  } else {
    room.list.append(li);
  }
  decorate(li);
  decorate(li.nextElementSibling);
  const own = frame.Author === state.nick;
  const isCurrent = room === currentRoom();
  const seenNow = isCurrent && room.atBottom && !document.hidden;
  if (hasId && id > room.readMark && !own && !seenNow) {
    room.unread += 1;
    changed("rooms");
  }
  if (isCurrent) {
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

function prependHistory(room, frames) {
  const fresh = frames.filter((f) => Number.isSafeInteger(f.ID) && !room.ids.has(f.ID));
  if (fresh.length === 0) return;
  const isCurrent = room === currentRoom() && !room.el.hidden;
  const fromBottom = log.scrollHeight - log.scrollTop;
  const oldFirst = room.list.firstElementChild;
  const fragment = document.createDocumentFragment();
  const items = [];
  for (const frame of fresh) {
    const li = renderMessage(frame);
    room.ids.add(frame.ID);
    room.minId = Math.min(room.minId, frame.ID);
    room.maxId = Math.max(room.maxId, frame.ID);
    fragment.append(li);
    items.push(li);
  }
  room.list.prepend(fragment);
  for (const li of items) decorate(li);
  decorate(oldFirst);
  if (isCurrent) log.scrollTop = log.scrollHeight - fromBottom;
}

function renderMessage(frame) {
  const author = typeof frame.Author === "string" && frame.Author ? frame.Author : "anonymous";
  const text = decodeText(frame.Message);
  const date = frameDate(frame);
  const action = actionText(text);
  const li = document.createElement("li");
  li.className = "msg";
  if (Number.isSafeInteger(frame.ID)) li.dataset.id = String(frame.ID);
  li.dataset.author = author;
  li.dataset.ts = String(date.getTime());
  li.style.setProperty("--hue", String(hueFor(author)));
  if (frame.WSID === "system" && author === "system") li.classList.add("system-post");
  if (action !== null) li.classList.add("action");
  if (author === state.nick) li.classList.add("own");
  else if (mentions(text, state.nick)) li.classList.add("mention");

  let parts = [linkify(text)];
  if (action !== null) {
    const actor = document.createElement("bdi");
    actor.className = "actor";
    actor.textContent = author;
    parts = ["* ", actor, " ", linkify(action)];
  }
  li.append(avatar(author), messageBody(author, timeElement(date), parts));
  return li;
}

/** Day separators and grouping of consecutive lines, from the element before `li`. */
function decorate(li) {
  if (!li?.dataset.ts) return;
  const prev = li.previousElementSibling;
  const date = new Date(Number(li.dataset.ts));
  const prevDate = prev?.dataset.ts ? new Date(Number(prev.dataset.ts)) : null;
  const newDay = !prevDate || !sameDay(prevDate, date);
  li.classList.toggle("new-day", newDay);
  if (newDay) li.dataset.day = formatDay(date);
  else delete li.dataset.day;
  const groupable = (el) =>
    el.classList.contains("msg") &&
    !el.classList.contains("action") &&
    !el.classList.contains("system-post");
  const grouped =
    !newDay &&
    prev !== null &&
    groupable(li) &&
    groupable(prev) &&
    prev.dataset.author === li.dataset.author &&
    date - prevDate < GROUP_GAP_MS;
  li.classList.toggle("grouped", grouped);
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
