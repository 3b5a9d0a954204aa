// This user's chat lines on their way to the server: shown at once as "sending…", sent one at
// a time per room, and taken off the screen when the stored copy arrives.
//
// Chat lines carry a Ref: an Ack confirms them, and after a reconnect unconfirmed lines are
// sent again with the same Ref (the server drops re-sends it has already stored for this
// session). Each room has at most one line in flight, so lines are stored in the order they were
// typed even when the server rate-limits some of them and they have to be sent again. A line the
// store refused (`store_unavailable`) or may have stored (`outcome_unknown`) is sent again with
// its Ref too, after a backoff, up to STORE_ATTEMPTS times in all, showing "retrying…" meanwhile:
// it shows "Not sent" only when every attempt failed. A line may
// answer another (`replyTo`), belong to a thread (`thread`, shown in the thread panel's list)
// and carry uploaded files (`attachments`, sent as their IDs).

import { showAlert } from "./alerts.js";
import { encodeText } from "./codec.js";
import { backoffDelay } from "./connection.js";
import { avatar, messageBody } from "./dom.js";
import { hueFor, linkify } from "./format.js";
import { connection, send } from "./link.js";
import { stickToBottom } from "./scroll.js";
import { nextRef, state } from "./store.js";

// How many times in all a line goes to a store that refuses it, and the codes that say so.
const STORE_ATTEMPTS = 5;
const STORE_CODES = new Set(["store_unavailable", "outcome_unknown"]);

/** Send `text` to `room`; `list` is where its pending copy shows (default: the room's). */
export function sendLine(
  room,
  text,
  { replyTo = null, thread = null, list = null, attachments = [] } = {},
) {
  const line = {
    ref: nextRef("m"),
    room: room.name,
    text,
    replyTo,
    thread,
    attachments,
    status: "queued",
    storeAttempts: 0,
    li: null,
  };
  line.li = renderPending(line);
  (list ?? room.pendingList).append(line.li);
  state.pending.set(line.ref, line);
  pump(room);
  if (!list) stickToBottom(room);
}

/**
 * Send the room's next queued line, unless one is still on its way ("sent", or "waiting" out a
 * rate limit): one line in flight per room keeps the stored order the typed order.
 */
export function pump(room) {
  if (room.status !== "joined" || !connection.isOpen) return;
  for (const line of state.pending.values()) {
    if (line.room !== room.name) continue;
    if (line.status === "sent" || line.status === "waiting") return;
    if (line.status === "queued") {
      transmit(line);
      return;
    }
  }
}

function pumpRoomOf(line) {
  const room = state.rooms.get(line.room);
  if (room) pump(room);
}

function transmit(line) {
  const frame = { Message: encodeText(line.text), Room: line.room, Ref: line.ref };
  if (line.replyTo !== null) frame.ReplyTo = line.replyTo;
  if (line.thread !== null) frame.Thread = line.thread;
  if (line.attachments.length > 0) frame.Attachments = line.attachments.map((file) => file.id);
  const ok = send(frame);
  line.status = ok ? "sent" : "queued";
}

/** The connection dropped: lines sent but not acknowledged go again on the next one. */
export function requeueSent() {
  for (const line of state.pending.values()) {
    if (line.status === "sent") line.status = "queued";
  }
}

/** An Ack of one of these lines; false when the Ack is about something else. */
export function lineAcked(frame) {
  const line = state.pending.get(frame.Ref);
  if (!line) return false;
  const room = state.rooms.get(line.room);
  room?.ownIds.add(frame.ID);
  if (!room || room.entries.has(frame.ID)) {
    dropPending(line);
  } else {
    line.status = "acked";
    state.ackedIds.set(`${line.room}\n${frame.ID}`, line);
  }
  if (room) pump(room);
  return true;
}

/** Message `id` of `room` is on the page: its pending copy, if it was this page's, goes. */
export function lineStored(room, id) {
  const acked = state.ackedIds.get(`${room.name}\n${id}`);
  if (acked) dropPending(acked);
}

/**
 * An Error answering one of these lines: a rate limit, or a store that refused it or may have
 * stored it (until STORE_ATTEMPTS), holds it for a retry; anything else marks it failed. False
 * when the Error is not about a line.
 */
export function lineRefused(frame, message) {
  const line = state.pending.get(frame.Ref);
  if (!line) return false;
  if (frame.Code === "rate_limited") {
    holdPending(line, Number(frame.RetryAfter) * 1000 || 1000, "slowed down by the server");
    showAlert(message);
  } else if (STORE_CODES.has(frame.Code) && line.storeAttempts + 1 < STORE_ATTEMPTS) {
    holdPending(line, backoffDelay(line.storeAttempts), "the server could not store it yet");
    line.storeAttempts += 1;
  } else {
    failPending(line, message, STORE_CODES.has(frame.Code));
  }
  pumpRoomOf(line);
  return true;
}

/** Send the line again (same Ref) in `ms` milliseconds, showing `why` meanwhile. */
function holdPending(line, ms, why) {
  line.status = "waiting";
  line.li.querySelector(".pending-status").textContent = `${why}, retrying…`;
  setTimeout(
    () => {
      if (state.pending.get(line.ref) !== line || line.status !== "waiting") return;
      line.status = "queued";
      line.li.querySelector(".pending-status").textContent = "sending…";
      pumpRoomOf(line);
    },
    Math.max(250, ms),
  );
}

function renderPending(line) {
  const li = document.createElement("li");
  li.className = "msg pending own";
  li.style.setProperty("--hue", String(hueFor(state.nick ?? "")));
  const status = document.createElement("span");
  status.className = "pending-status";
  status.textContent = "sending…";
  const parts = [linkify(line.text)];
  if (line.attachments.length > 0) {
    const files = document.createElement("span");
    files.className = "pending-files";
    files.textContent = line.attachments.map((file) => file.name).join(", ");
    parts.push(files);
  }
  li.append(avatar(state.nick ?? "?"), messageBody(state.nick ?? "you", status, parts));
  return li;
}

/** Mark the line not sent; `sameRef`: a Retry keeps its Ref (the store may hold it already). */
function failPending(line, message, sameRef) {
  line.status = "failed";
  const li = line.li;
  li.classList.add("failed");
  const status = li.querySelector(".pending-status");
  status.textContent = `Not sent: ${message} `;
  const retry = document.createElement("button");
  retry.type = "button";
  retry.className = "link-button";
  retry.textContent = "Retry";
  retry.addEventListener("click", () => {
    li.classList.remove("failed");
    status.textContent = "sending…";
    if (!sameRef) line.ref = retarget(line);
    line.storeAttempts = 0;
    line.status = "queued";
    pumpRoomOf(line);
  });
  const discard = document.createElement("button");
  discard.type = "button";
  discard.className = "link-button";
  discard.textContent = "Discard";
  discard.addEventListener("click", () => dropPending(line));
  status.append(retry, " · ", discard);
}

/** A line retried after a refusal gets a new Ref: the server remembers the old one as
 * failed-or-done. */
function retarget(line) {
  state.pending.delete(line.ref);
  const ref = nextRef("m");
  state.pending.set(ref, line);
  return ref;
}

export function dropPending(line) {
  state.pending.delete(line.ref);
  for (const [key, value] of state.ackedIds) {
    if (value === line) state.ackedIds.delete(key);
  }
  line.li.remove();
}
