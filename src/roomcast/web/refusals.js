// How this user is told that a room is closed to it: kicked or banned (with until when, in the
// user's local time), or refused at joining (the server's reason, its times made local: a kick
// that keeps one out for a while is refused as a kick, on every device).

import { formatWhen } from "./format.js";

const ISO_TIME = /\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z\b/g;

/** `text` with every ISO time in it (the server's) as the user's local time. */
export function localTimes(text) {
  return text.replace(ISO_TIME, (iso) => formatWhen(new Date(iso)));
}

/** What a Kicked frame tells this user. */
export function kickedText(frame) {
  const by = frame.By || "A moderator";
  const why = frame.Reason ? `: ${frame.Reason}` : "";
  const until = frame.Until ? new Date(frame.Until) : null;
  if (frame.Banned) {
    const end = until ? `until ${formatWhen(until)}` : "until a moderator lifts the ban";
    return `${by} banned you from #${frame.Room} ${end}${why}.`;
  }
  const back = until ? ` You can come back at ${formatWhen(until)}.` : "";
  return `${by} kicked you from #${frame.Room}${why}.${back}`;
}

/** Why `room` could not be joined or opened, from the server's Error (code and message). */
export function refusalText(room, message) {
  return `Could not open #${room}: ${localTimes(message)}`;
}
