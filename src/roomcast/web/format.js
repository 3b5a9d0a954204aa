// Turning untrusted strings into DOM: text nodes only, links only for http(s) URLs.
//
// Nothing here ever assigns innerHTML; every user-supplied string reaches the page through
// textContent or a Text node, so markup in a message or a nickname is shown, never run.

import { charCount, MAX_ROOM_CHARS, overLimit } from "./limits.js";

const URL_CANDIDATE = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING_PUNCTUATION = /[.,;:!?'"»”’]+$/;
const ROOM_NAME = /^[\p{L}\p{N}_][\p{L}\p{N}\p{M}_.-]*$/u;
/** The names the server gives guests; the client never asks for one of them back. */
export const GUEST_NICK = /^guest-[0-9a-z]+$/i;

/** Strip trailing punctuation and unbalanced closing brackets from a URL candidate. */
function trimUrl(candidate) {
  let url = candidate.replace(TRAILING_PUNCTUATION, "");
  for (const [open, close] of [["(", ")"], ["[", "]"]]) {
    while (url.endsWith(close) && count(url, close) > count(url, open)) {
      url = url.slice(0, -1).replace(TRAILING_PUNCTUATION, "");
    }
  }
  return url;
}

function count(text, char) {
  return text.split(char).length - 1;
}

/** A safe http(s) URL, or null. */
function safeUrl(candidate) {
  try {
    const url = new URL(candidate);
    return url.protocol === "http:" || url.protocol === "https:" ? url : null;
  } catch {
    return null;
  }
}

/** A fragment of Text nodes and <a> elements for `text`. */
export function linkify(text, doc = document) {
  const fragment = doc.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(URL_CANDIDATE)) {
    const raw = trimUrl(match[0]);
    const url = safeUrl(raw);
    if (!url) continue;
    if (match.index > last) fragment.append(doc.createTextNode(text.slice(last, match.index)));
    const link = doc.createElement("a");
    link.href = url.href;
    link.rel = "noopener noreferrer";
    link.target = "_blank";
    link.textContent = raw;
    fragment.append(link);
    last = match.index + raw.length;
  }
  if (last < text.length) fragment.append(doc.createTextNode(text.slice(last)));
  return fragment;
}

/** The canonical form of a room name, or null when the server would refuse it. */
export function normaliseRoom(raw) {
  const name = raw.trim().replace(/^#/, "").normalize("NFC");
  return charCount(name) <= MAX_ROOM_CHARS && ROOM_NAME.test(name) ? name : null;
}

/** What is wrong with `raw` as a room name (normaliseRoom refused it). */
export function roomProblem(raw) {
  const shown = raw.trim();
  const long = overLimit(shown.replace(/^#/, "").normalize("NFC"), MAX_ROOM_CHARS, "A room name");
  return long || `"${shown}" is not a room name: use letters, digits, "_", "." and "-".`;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "medium" });
const whenFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dayFormat = new Intl.DateTimeFormat(undefined, {
  weekday: "long",
  year: "numeric",
  month: "long",
  day: "numeric",
});

/** When a Chat frame was sent: its ISO `Time`, else the tutorial's UTC `Sent` text. */
export function frameDate(frame) {
  if (frame.Time) return new Date(frame.Time);
  if (frame.Sent) return new Date(`${frame.Sent.replace(" ", "T")}Z`);
  return new Date();
}

export const formatTime = (date) => timeFormat.format(date);
export const formatFull = (date) => fullFormat.format(date);

/** A moment in the user's local time: the hour today, the day and hour later on. */
export function formatWhen(date, now = new Date()) {
  return sameDay(date, now) ? timeFormat.format(date) : whenFormat.format(date);
}

/** "Today", "Yesterday" or the full date, for day separators. */
export function formatDay(date, now = new Date()) {
  const day = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const diff = Math.round((day(now) - day(date)) / 86_400_000);
  if (diff === 0) return "Today";
  if (diff === 1) return "Yesterday";
  return dayFormat.format(date);
}

export function sameDay(a, b) {
  return a.toDateString() === b.toDateString();
}

/** A stable hue (0-359) for a name, so each author keeps a colour. */
export function hueFor(name) {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.codePointAt(0)) >>> 0;
  return hash % 360;
}

/** The first letter of a name for its avatar (a whole grapheme where possible). */
export function initial(name) {
  const first = [...name.replace(/^[^\p{L}\p{N}]+/u, "")][0] ?? name[0] ?? "?";
  return first.toUpperCase();
}

/** Does `text` mention `nick` as a word of its own? */
export function mentions(text, nick) {
  if (!nick) return false;
  const escaped = nick.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^\\p{L}\\p{N}_])@?${escaped}($|[^\\p{L}\\p{N}_])`, "iu").test(text);
}

const SIZE_UNITS = ["KB", "MB", "GB", "TB"];

/** "812 B", "1.4 MB": a file's size for people. */
export function humanSize(bytes) {
  if (!Number.isFinite(bytes) || bytes < 0) return "";
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes;
  let unit = "B";
  for (const next of SIZE_UNITS) {
    if (value < 1024) break;
    value /= 1024;
    unit = next;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${unit}`;
}
