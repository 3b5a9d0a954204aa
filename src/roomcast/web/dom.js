// Small DOM builders more than one part of the page uses. Text goes in as text, never as markup.

import { formatFull, formatTime, initial } from "./format.js";

export const $ = (id) => document.getElementById(id);

/** "#name" with the hash as decoration and the name isolated for right-to-left text. */
export function hashName(name) {
  const fragment = document.createDocumentFragment();
  const hash = document.createElement("span");
  hash.className = "hash";
  hash.setAttribute("aria-hidden", "true");
  hash.textContent = "#";
  const label = document.createElement("bdi");
  label.textContent = name;
  fragment.append(hash, label);
  return fragment;
}

/**
 * Replace the children of `list` by `items`; the focus, when it was on an item of the list,
 * stays on the item for the same room (`data-room`), instead of dropping to the page's body.
 */
export function replaceItems(list, items) {
  const focused = list.contains(document.activeElement) ? document.activeElement : null;
  const room = focused?.dataset.room;
  list.replaceChildren(...items);
  if (room === undefined) return;
  list.querySelector(`[data-room="${CSS.escape(room)}"]`)?.focus({ preventScroll: true });
}

/** The round initial that stands for a person beside their lines and in the people list. */
export function avatar(name) {
  const element = document.createElement("span");
  element.className = "avatar";
  element.setAttribute("aria-hidden", "true");
  element.textContent = initial(name);
  return element;
}

/** A <time> showing the hour and minute, with the full date as its title. */
export function timeElement(date) {
  const time = document.createElement("time");
  time.dateTime = date.toISOString();
  time.title = formatFull(date);
  time.textContent = formatTime(date);
  return time;
}

/** A message's body: the meta line (who wrote it, then `tail`) above the text made of `parts`. */
export function messageBody(author, tail, parts) {
  const body = document.createElement("div");
  body.className = "msg-body";
  const meta = document.createElement("div");
  meta.className = "meta";
  const who = document.createElement("bdi");
  who.className = "author";
  who.textContent = author;
  meta.append(who, " ", tail);
  const content = document.createElement("div");
  content.className = "text";
  content.dir = "auto";
  content.append(...parts);
  body.append(meta, content);
  return body;
}
