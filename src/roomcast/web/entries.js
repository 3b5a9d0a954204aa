// What this client holds of one message (an "entry"): its text, author and time, the message it
// replies to, the thread it is in, when it was last edited, its reactions (emoji -> the names
// that reacted, in order of first use), on a thread's root how many replies it has, the people
// it mentions (the server's word, the Chat frame's Mentions) and the files it carries (only
// with URLs of this server). Also who may do what with it, and whether it mentions this user.
// No DOM here: line.js shows entries, the event modules change them.

import { decodeText } from "./codec.js";
import { frameDate, mentions } from "./format.js";
import { isMe, state } from "./store.js";

/** The roles of a room whose holders may delete anyone's message (the Room frame's Role). */
const MODERATING_ROLES = new Set(["owner", "moderator", "admin"]);

const positiveId = (value) => (Number.isSafeInteger(value) && value > 0 ? value : null);

/** A URL on this server, or null: a file's URL is never a script or another site. */
function localUrl(value) {
  if (typeof value !== "string" || !value) return null;
  try {
    const url = new URL(value, location.origin);
    return url.origin === location.origin ? url.href : null;
  } catch {
    return null;
  }
}

/** The files of a Chat frame, checked: [{id, name, size, type, url, width, height, thumb}]. */
function attachmentsOf(frame) {
  const files = [];
  for (const item of Array.isArray(frame.Attachments) ? frame.Attachments : []) {
    const url = localUrl(item?.URL);
    if (!url) continue;
    files.push({
      id: String(item.ID ?? ""),
      name: typeof item.Name === "string" && item.Name ? item.Name : "file",
      size: Number(item.Size),
      type: typeof item.Type === "string" ? item.Type : "",
      url,
      width: positiveId(item.Width),
      height: positiveId(item.Height),
      thumb: localUrl(item.Thumb),
    });
  }
  return files;
}

/**
 * The entry of a Chat frame. `asOf` is the room's ID up to which the frame's state (Replies)
 * already counts; a thread line with a higher ID adds to its root's count.
 */
export function entryFrom(frame, asOf) {
  const author = typeof frame.Author === "string" && frame.Author ? frame.Author : "anonymous";
  const entry = {
    id: positiveId(frame.ID),
    author,
    text: decodeText(frame.Message),
    date: frameDate(frame),
    system: frame.WSID === "system" && author === "system",
    replyTo: positiveId(frame.ReplyTo),
    thread: positiveId(frame.Thread),
    edited: null,
    reactions: new Map(),
    replies: 0,
    asOf: 0,
    mentions: null, // null: the frame did not say
    attachments: attachmentsOf(frame),
  };
  takeState(entry, frame, asOf);
  return entry;
}

/** A newer copy of a message (a History page): its text, edit time, reactions and replies. */
export function takeState(entry, frame, asOf) {
  entry.text = decodeText(frame.Message);
  entry.edited = frame.Edited ? new Date(frame.Edited) : null;
  entry.reactions = new Map();
  for (const item of Array.isArray(frame.Reactions) ? frame.Reactions : []) {
    const names = Array.isArray(item?.Names) ? item.Names.filter((n) => typeof n === "string") : [];
    if (typeof item?.Emoji === "string" && names.length > 0) entry.reactions.set(item.Emoji, names);
  }
  entry.replies = Number.isSafeInteger(frame.Replies) && frame.Replies > 0 ? frame.Replies : 0;
  entry.mentions = Array.isArray(frame.Mentions)
    ? frame.Mentions.filter((name) => typeof name === "string")
    : null;
  entry.asOf = Math.max(asOf, entry.id ?? 0);
}

/** Add (or, `removed`, take away) `name`'s `emoji`; false when that changes nothing. */
export function react(entry, emoji, name, removed) {
  const names = entry.reactions.get(emoji) ?? [];
  if (names.includes(name) !== removed) return false;
  if (!removed) {
    entry.reactions.set(emoji, [...names, name]);
    return true;
  }
  const rest = names.filter((n) => n !== name);
  if (rest.length > 0) entry.reactions.set(emoji, rest);
  else entry.reactions.delete(emoji);
  return true;
}

/** The emoji used on the room's messages, most used first. */
export function usedEmoji(room) {
  const counts = new Map();
  for (const entry of room.entries.values()) {
    for (const [emoji, names] of entry.reactions) {
      counts.set(emoji, (counts.get(emoji) ?? 0) + names.length);
    }
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([emoji]) => emoji);
}

/** Did this user write it? (A line this page sent, or one under this user's nickname.) */
export const isOwn = (room, entry) => room.ownIds.has(entry.id) || entry.author === state.nick;

/**
 * Does the line mention this user? The server's Mentions when the frame has them (the @names
 * that named someone); else the line names this user's nickname as a word of its own.
 */
export function mentionsMe(entry) {
  if (entry.mentions !== null) return entry.mentions.some(isMe);
  return mentions(entry.text, state.nick);
}

export const mayEdit = (room, entry) => isOwn(room, entry) && !entry.system;

export const mayDelete = (room, entry) => isOwn(room, entry) || MODERATING_ROLES.has(room.role);

/** The entry of message `id` of `room`, when this page holds it. */
export const entryOf = (room, id) => room.entries.get(Number(id)) ?? null;
