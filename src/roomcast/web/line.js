// How one message looks: avatar, author and time, the quote of the message it replies to, the
// text with its "edited" marker, its files (attachments.js), the reaction chips and, on a
// thread's root, the reply count; a highlight when it mentions this user;
// the day separators and grouping relative to the line before; and bringing every copy of a
// line on screen (the room's list, the thread panel) up to date when its entry changes.
//
// Clicks on the parts (quote, marker, chips, reply count) are handled by the modules that own
// them, by delegation: replies.js, edits.js, reactions.js, thread.js.

import { fillAttachments } from "./attachments.js";
import { actionText } from "./commands.js";
import { $, avatar, messageBody, timeElement } from "./dom.js";
import { formatDay, formatFull, hueFor, linkify, sameDay } from "./format.js";
import { isOwn, mentionsMe } from "./entries.js";
import { state } from "./store.js";

const GROUP_GAP_MS = 5 * 60_000;
const QUOTE_CHARS = 140;

const threadList = $("thread-list");

/** The element of a line of `room` (in its list, or in the thread panel when `inThread`). */
export function renderLine(room, entry, { inThread = false } = {}) {
  const li = document.createElement("li");
  li.className = "msg";
  if (entry.id !== null) li.dataset.id = String(entry.id);
  li.dataset.author = entry.author;
  li.dataset.ts = String(entry.date.getTime());
  li.style.setProperty("--hue", String(hueFor(entry.author)));
  if (entry.system) li.classList.add("system-post");
  if (isOwn(room, entry)) li.classList.add("own");
  const body = messageBody(entry.author, timeElement(entry.date), []);
  li.append(avatar(entry.author), body);
  if (entry.replyTo !== null) {
    const quote = document.createElement("button");
    quote.type = "button";
    quote.className = "quote";
    quote.dataset.target = String(entry.replyTo);
    body.querySelector(".text").before(quote);
    fillQuote(room, quote);
  }
  fillLine(room, entry, li, inThread);
  return li;
}

/** Every copy of message `id` of `room` on screen. */
export function viewsOf(room, id) {
  const selector = `li.msg[data-id="${Number(id)}"]`;
  const views = [...room.list.querySelectorAll(selector)];
  if (threadList.dataset.room === room.name) views.push(...threadList.querySelectorAll(selector));
  return views;
}

/** Show the entry's current state (text, edit, reactions, replies) wherever it is on screen. */
export function refreshLine(room, entry) {
  for (const li of viewsOf(room, entry.id)) fillLine(room, entry, li, threadList.contains(li));
  refreshQuotes(room, entry.id);
}

/** The quotes of message `id` (in the lines that reply to it) show what it says now. */
export function refreshQuotes(room, id) {
  const selector = `.quote[data-target="${Number(id)}"]`;
  const lists = [room.list];
  if (threadList.dataset.room === room.name) lists.push(threadList);
  for (const list of lists) {
    for (const quote of list.querySelectorAll(selector)) fillQuote(room, quote);
  }
}

function fillLine(room, entry, li, inThread) {
  const action = actionText(entry.text);
  li.classList.toggle("action", action !== null);
  li.classList.toggle("mention", !isOwn(room, entry) && mentionsMe(entry));
  li.classList.toggle("edited", entry.edited !== null);
  const body = li.querySelector(".msg-body");
  const text = body.querySelector(".text");
  if (action === null) {
    text.replaceChildren(linkify(entry.text));
  } else {
    const actor = document.createElement("bdi");
    actor.className = "actor";
    actor.textContent = entry.author;
    text.replaceChildren("* ", actor, " ", linkify(action));
  }
  fillMarker(body, text, entry);
  fillAttachments(body, entry);
  fillChips(body, entry);
  fillReplies(body, entry, inThread);
}

function fillMarker(body, text, entry) {
  let marker = body.querySelector(".edited-marker");
  if (entry.edited === null) {
    marker?.remove();
    return;
  }
  if (!marker) {
    marker = document.createElement("button");
    marker.type = "button";
    marker.className = "edited-marker";
    marker.textContent = "(edited)";
    text.after(marker);
  }
  marker.title = `Edited ${formatFull(entry.edited)}`;
  marker.setAttribute("aria-label", "Edited: show the versions");
}

/** The chips under a message, one per emoji; existing buttons are kept (and their focus). */
function fillChips(body, entry) {
  let row = body.querySelector(".reactions");
  if (entry.reactions.size === 0) {
    row?.remove();
    return;
  }
  if (!row) {
    row = document.createElement("div");
    row.className = "reactions";
    const add = document.createElement("button");
    add.type = "button";
    add.className = "reaction-add";
    add.setAttribute("aria-label", "Add a reaction");
    add.title = "Add a reaction";
    add.textContent = "+";
    row.append(add);
    const summary = body.querySelector(".thread-summary");
    if (summary) summary.before(row);
    else body.append(row);
  }
  const chips = new Map([...row.querySelectorAll(".reaction")].map((b) => [b.dataset.emoji, b]));
  const add = row.querySelector(".reaction-add");
  for (const [emoji, names] of entry.reactions) {
    let chip = chips.get(emoji);
    chips.delete(emoji);
    if (!chip) chip = newChip(emoji);
    add.before(chip); // keeps the order of first use
    const mine = names.includes(state.nick);
    chip.classList.toggle("mine", mine);
    chip.setAttribute("aria-pressed", String(mine));
    const who = names.join(", ");
    chip.querySelector(".reaction-count").textContent = String(names.length);
    chip.querySelector(".reaction-who").textContent = who;
    chip.setAttribute("aria-label", `${emoji} ${names.length}: ${who}`);
  }
  for (const chip of chips.values()) chip.remove();
}

function newChip(emoji) {
  const chip = document.createElement("button");
  chip.type = "button";
  chip.className = "reaction";
  chip.dataset.emoji = emoji;
  const glyph = document.createElement("span");
  glyph.className = "reaction-emoji";
  glyph.textContent = emoji;
  const count = document.createElement("span");
  count.className = "reaction-count";
  const who = document.createElement("span");
  who.className = "reaction-who";
  who.setAttribute("role", "tooltip");
  chip.append(glyph, " ", count, who);
  return chip;
}

function fillReplies(body, entry, inThread) {
  let summary = body.querySelector(".thread-summary");
  if (entry.replies === 0 || entry.thread !== null) {
    summary?.remove();
    return;
  }
  if (!summary) {
    summary = document.createElement(inThread ? "span" : "button");
    if (!inThread) summary.type = "button";
    summary.className = "thread-summary";
    body.append(summary);
  }
  const count = entry.replies === 1 ? "1 reply" : `${entry.replies} replies`;
  summary.textContent = count;
  if (!inThread) summary.setAttribute("aria-label", `${count}: open the thread`);
}

function fillQuote(room, quote) {
  const parent = room.entries.get(Number(quote.dataset.target));
  const hidden = document.createElement("span");
  hidden.className = "visually-hidden";
  hidden.textContent = "In reply to ";
  if (!parent) {
    quote.classList.add("unknown");
    quote.replaceChildren(hidden, "a message");
    return;
  }
  quote.classList.remove("unknown");
  const author = document.createElement("bdi");
  author.className = "quote-author";
  author.textContent = parent.author;
  const snippet = document.createElement("span");
  snippet.className = "quote-text";
  const action = actionText(parent.text);
  const text = action === null ? parent.text : `* ${parent.author} ${action}`;
  snippet.textContent = [...text.replace(/\s+/g, " ")].slice(0, QUOTE_CHARS).join("");
  quote.replaceChildren(hidden, author, " ", snippet);
}

/** Day separators and grouping of consecutive lines, from the element before `li`. */
export function decorate(li) {
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
